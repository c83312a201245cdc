"""nbgrader for every user of the course's JupyterHub (found through JUPYTER_CONFIG_PATH, which
hub/jupyterhub_config.py sets): the course id and the exchange folder that release, fetch,
submit and collect go through. The instructor's own ~/.jupyter/nbgrader_config.py adds the
course folder (CourseDirectory.root). Collect is hub/course_exchange.py's: it refuses a submission
that another account planted under a student's name and takes submission times from the file
system, not from what the student wrote; submit keeps each submission to its author and the
instructor."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

c = get_config()  # noqa: F821 (nbgrader's config loader defines it)
c.CourseDirectory.course_id = "ph451-autoencoders"
c.Exchange.root = os.environ["COURSE_HUB_EXCHANGE"]
c.ExchangeFactory.collect = "course_exchange.CourseCollect"
c.ExchangeFactory.submit = "course_exchange.CourseSubmit"
