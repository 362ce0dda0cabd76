"""What every app uses from the running process, and nothing of any app: the memo of the current
request (``request_memo``), tasks sent when the current transaction commits (``task_queue``),
dates in words in the active time zone (``dates``), and the refusal of the production profile
for commands that destroy data (``production_guard``). The bottom layer (pyproject.toml's
import-linter contracts): it imports Django and Celery only, never a project package."""
