#!/bin/sh
# Runs a GLib test binary in TAP mode; automake puts LOG_FLAGS before the
# binary, so --tap has to be appended here.
exec "$@" --tap
