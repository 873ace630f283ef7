package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"madoguchi/internal/config"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// ResponseWarnArgs is the periodic run that warns of responses about to be
// due (response targets, issue 4).
type ResponseWarnArgs struct{}

// Kind implements river.JobArgs.
func (ResponseWarnArgs) Kind() string { return "case_response_warn" }

// responseWarnEvery is how often the job looks; a warning goes out at most
// this long after its moment.
const responseWarnEvery = time.Minute

// ResponseWarnStore is what the warning job needs of the store.
type ResponseWarnStore interface {
	WarnResponsesDue(ctx context.Context, now time.Time, before time.Duration,
		mail func(c *portal.Case, due time.Time, agent *store.Recipient) ([]store.Mail, error)) (int, error)
}

// ResponseWarnMailer renders the warning; the HTTP server, which owns the
// mail templates, implements it.
type ResponseWarnMailer interface {
	ResponseDueMails(c *portal.Case, due, now time.Time, agent *store.Recipient) ([]store.Mail, error)
}

// ResponseWarnWorker e-mails the assigned agent (or the team address) once
// per target when a case's response is due within Before or overdue.
type ResponseWarnWorker struct {
	river.WorkerDefaults[ResponseWarnArgs]
	Store  ResponseWarnStore
	Mailer ResponseWarnMailer
	Before time.Duration    // default config.DefaultResponseWarnBefore
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// Work implements river.Worker.
func (w *ResponseWarnWorker) Work(ctx context.Context, _ *river.Job[ResponseWarnArgs]) error {
	n, err := w.Run(ctx)
	if n > 0 {
		w.logger().InfoContext(ctx, "response warnings", "cases", n)
	}
	return err
}

// Run does one pass and reports how many cases it handled.
func (w *ResponseWarnWorker) Run(ctx context.Context) (int, error) {
	if w.Store == nil || w.Mailer == nil {
		return 0, errors.New("response warnings: store or mailer not set")
	}
	now, before := time.Now(), w.Before
	if w.Now != nil {
		now = w.Now()
	}
	if before <= 0 {
		before = config.DefaultResponseWarnBefore
	}
	return w.Store.WarnResponsesDue(ctx, now, before,
		func(c *portal.Case, due time.Time, agent *store.Recipient) ([]store.Mail, error) {
			mails, err := w.Mailer.ResponseDueMails(c, due, now, agent)
			if err == nil && len(mails) == 0 {
				// Marked as warned all the same, so this is said once.
				w.logger().WarnContext(ctx, "response due but nobody to warn: case unassigned and TEAM_EMAIL unset",
					"case", c.Number, "due", due)
			}
			return mails, err
		})
}

// ResponseWarnPeriodic schedules the warning job every minute.
func ResponseWarnPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(responseWarnEvery),
		func() (river.JobArgs, *river.InsertOpts) { return ResponseWarnArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

func (w *ResponseWarnWorker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}
