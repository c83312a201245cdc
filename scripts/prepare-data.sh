#!/usr/bin/env bash
# Put Fashion-MNIST in place: files on disk, else the offline copy, else a download
# (all three inside `python -m course_utils.data prepare`). If all of that fails and this
# machine has apt-get, install the Debian package `dataset-fashion-mnist` and try again.
set -euo pipefail
python=${1:-.venv/bin/python}

if "$python" -m course_utils.data prepare; then
    exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing the offline copy of Fashion-MNIST (Debian package dataset-fashion-mnist)"
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "setup: need root to run apt-get; run: sudo apt-get install -y dataset-fashion-mnist" >&2
            exit 1
        fi
    fi
    $sudo apt-get install -y dataset-fashion-mnist \
        || { $sudo apt-get update && $sudo apt-get install -y dataset-fashion-mnist; }
    "$python" -m course_utils.data prepare && exit 0
fi

cat >&2 <<'MSG'
setup: Fashion-MNIST is not available. Do one of:
  - on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist, then run make again;
  - connect to the internet once and run make again (torchvision downloads it);
  - copy a data folder that holds FashionMNIST/raw/ from another machine and set COURSE_DATA_DIR to it.
MSG
exit 1
