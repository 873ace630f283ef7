// Package jobs holds the background jobs that are not about mail: periodic
// clean-up, and closing cases left unanswered (with reminders).
package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// CleanupArgs is the hourly clean-up of expired rows.
type CleanupArgs struct{}

// Kind implements river.JobArgs.
func (CleanupArgs) Kind() string { return "cleanup" }

// Cleaner deletes what has expired before a moment.
type Cleaner interface {
	Cleanup(ctx context.Context, now time.Time) error
}

// CleanupWorker runs Cleaner.
type CleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	Cleaner Cleaner
	Now     func() time.Time
}

// Work implements river.Worker.
func (w *CleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	return w.Cleaner.Cleanup(ctx, now())
}

// Periodic lists the periodic jobs every instance schedules; river elects one
// leader to run them, so several instances do not repeat the work.
func Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(autoCloseEvery),
			func() (river.JobArgs, *river.InsertOpts) { return AutoCloseArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}
