"""``tutor grade``: batch scoring of a class's submissions, rubric, graded feedback, reports, calibration."""
