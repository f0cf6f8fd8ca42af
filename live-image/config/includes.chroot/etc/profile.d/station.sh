# The supervisor's shell on tty2 uses the same data folder as the bench screen: the
# stick's data partition (or RAM, said so), as station-data-mount wrote it. Without
# this, `station smart` on tty2 would open a journal and bench key of its own.
STATION_ENV_FILE="${STATION_ENV_FILE:-/run/station/env}"
if [ -r "$STATION_ENV_FILE" ]; then
	set -a
	. "$STATION_ENV_FILE"
	set +a
fi
