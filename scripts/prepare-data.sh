#!/usr/bin/env bash
# Put Fashion-MNIST in place: files on disk, else the offline copy, else a download
# (all three inside `python -m course_utils.data prepare`). If all of that fails and this
# machine has apt-get, install the Debian package `dataset-fashion-mnist` and try again.
set -euo pipefail
python=${1:-.venv/bin/python}

if "$python" -m course_utils.data prepare; then
    exit 0
fi

if "$(dirname "$0")/apt-install.sh" dataset-fashion-mnist; then
    "$python" -m course_utils.data prepare && exit 0
fi

cat >&2 <<'MSG'
setup: Fashion-MNIST is not available. Do one of:
  - on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist, then run make again;
  - connect to the internet once and run make again (torchvision downloads it);
  - copy a data folder that holds FashionMNIST/raw/ from another machine and set COURSE_DATA_DIR to it.
MSG
exit 1
