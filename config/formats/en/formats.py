"""One date and time style on every page (issue: pages anyone on the staff can read): the day,
the month spelled short, the year ("29 Nov 2026", "05 Dec 2026"); 24-hour times with the time zone's
abbreviation ("29 Nov 2026 13:50 EST"). Input fields keep accepting ISO dates (2026-11-29)."""

DATE_FORMAT = "d M Y"
SHORT_DATE_FORMAT = "d M Y"
DATETIME_FORMAT = "d M Y H:i T"
SHORT_DATETIME_FORMAT = "d M Y H:i T"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "d F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 0
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d %b %Y", "%m/%d/%Y", "%m/%d/%y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%d %b %Y %H:%M"]
