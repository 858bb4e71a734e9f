// The subject fields' suggestions on the candidates page. The page's <datalist> already holds
// the entities the source's text names; typing two characters or more asks this site (never an
// outside one) for up to twenty more whose key, name or alias contains them.
(function () {
  "use strict";
  var list = document.getElementById("entity-names");
  if (!list || !window.fetch) {
    return;
  }
  var url = list.getAttribute("data-suggest-url");
  var minLength = parseInt(list.getAttribute("data-min-length"), 10) || 2;
  var fixed = Array.prototype.map.call(list.options, function (option) {
    return option.cloneNode(true);
  });
  var timer = null;
  var asked = "";

  function option(value, label) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    return element;
  }

  function show(results) {
    var seen = {};
    var options = [];
    results.forEach(function (entity) {
      seen[entity.key] = true;
      var label = entity.name + (entity.alias ? " (" + entity.alias + ")" : "") + " · " + entity.kind;
      options.push(option(entity.key, label));
    });
    fixed.forEach(function (kept) {
      if (!seen[kept.value]) {
        options.push(kept.cloneNode(true));
      }
    });
    list.replaceChildren.apply(list, options);
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('input[list="entity-names"]')) {
      return;
    }
    var query = input.value.trim();
    if (query.length < minLength || query === asked) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      asked = query;
      window
        .fetch(url + "?q=" + encodeURIComponent(query), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          show(data.results || []);
        })
        .catch(function () {});
    }, 200);
  });
})();
