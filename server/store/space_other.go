//go:build !(linux || darwin || freebsd)

package store

import "errors"

// diskSpace cannot tell here: JetStream's own refusals speak instead.
func diskSpace(string) (free, total uint64, err error) {
	return 0, 0, errors.New("store: free disk space is not known on this system")
}
