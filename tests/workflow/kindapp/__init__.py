"""A made-up kind of document, for the engine's tests only: a *proposal* an organization drafts,
others coordinate and a designated office approves. It plugs into the engine exactly as
``planning`` and ``assessments`` plug in theirs (a model with a ``state`` whose transitions are
declared with ``workflow.rules.workflow_transition``, a route, ``register_document`` in its app's
``ready``), and the engine's tests (tests/workflow/test_engine_services.py) drive every engine
service on it: the engine needs no change for a new kind. Installed only by the tests' settings
(``tests.settings``), with a migration of its own, so it exists on SQLite and PostgreSQL alike."""
