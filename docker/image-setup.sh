#!/bin/sh
# The one RUN step of docker/Dockerfile, as root inside the image being built. scripts/build-image.sh runs this
# same file (in a buildah build of the Dockerfile, or in a plain chroot when no daemonless builder works), so the
# image tested there and the image built with Docker take the same steps.
#
# Installs a headless Java 17 runtime from the base's package archive (Ubuntu 24.04 for the CUDA image, Debian 12
# for the CPU test image), makes the user bottleneck (uid/gid 10001) and the folders /runs (written, owned by
# that user) and /data (mounted read-only at run time). Nothing else: the CUDA libraries are the base image's.
set -eu
export DEBIAN_FRONTEND=noninteractive
# minimal bases may lack the man folders that the JRE's update-alternatives links point into
mkdir -p /usr/share/man/man1
apt-get update
apt-get install -y --no-install-recommends openjdk-17-jre-headless
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log
java -version 2>&1 | head -1
groupadd --gid 10001 bottleneck
useradd --uid 10001 --gid 10001 --create-home --home-dir /home/bottleneck --shell /bin/sh bottleneck
mkdir -p /opt/bottleneck /runs /data
chown 10001:10001 /runs
