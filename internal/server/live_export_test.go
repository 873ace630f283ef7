package server

import "time"

// SetLiveHeartbeat shortens the event streams' heartbeat (and session check)
// for streams opened afterwards; it returns the function that restores it.
func SetLiveHeartbeat(d time.Duration) (restore func()) {
	old := liveHeartbeat.Swap(int64(d))
	return func() { liveHeartbeat.Store(old) }
}
