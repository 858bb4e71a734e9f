"""The read API's groundwork, one concern a module: access, pagination, caching, renderers,
errors, schema, the base viewset, and the URL tree of /api/."""
