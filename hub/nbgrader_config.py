"""nbgrader for every user of the course's JupyterHub (found through JUPYTER_CONFIG_PATH, which
hub/jupyterhub_config.py sets): the course id and the exchange folder that release, fetch,
submit and collect go through. The instructor's own ~/.jupyter/nbgrader_config.py adds the
course folder (CourseDirectory.root)."""

import os

c = get_config()  # noqa: F821 (nbgrader's config loader defines it)
c.CourseDirectory.course_id = "ph451-autoencoders"
c.Exchange.root = os.environ["COURSE_HUB_EXCHANGE"]
