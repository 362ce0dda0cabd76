"""What every app uses from the running process, and nothing of any app: the memo of the current
request (``request_memo``), tasks sent when the current transaction commits (``task_queue``), the
active time zone, the person's own from the session (``time_zone``), dates in words in it
(``dates``), and the production profile's refusal of commands that destroy data
(``production_guard``). The bottom layer (pyproject.toml's import-linter contracts): it imports
Django and Celery, never a project package."""
