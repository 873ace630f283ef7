package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"madoguchi/internal/config"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// AutoCloseArgs is the periodic run that closes cases the customer left
// unanswered and reminds them halfway (DESIGN.md flow 15).
type AutoCloseArgs struct{}

// Kind implements river.JobArgs.
func (AutoCloseArgs) Kind() string { return "case_auto_close" }

// autoCloseEvery is how often the job looks for due cases; a case closes at
// most this long after its period ends.
const autoCloseEvery = 15 * time.Minute

// CaseStore is what the auto-close job needs of the store.
type CaseStore interface {
	AutoCloseDue(ctx context.Context, now time.Time, after time.Duration) ([]string, error)
	CasesNeedingReminder(ctx context.Context, now time.Time, after time.Duration) ([]string, error)
	MarkReminderSent(ctx context.Context, number string, dueBefore time.Time,
		mail func(c *portal.Case, r store.CaseRecipients) ([]store.Mail, error)) (bool, error)
	Act(ctx context.Context, req store.ActRequest) (*portal.Case, error)
}

// CaseMailer renders the job's mails in each recipient's language; the
// HTTP server, which owns the mail templates, implements it.
type CaseMailer interface {
	AutoCloseMails(o store.ActOutcome) ([]store.Mail, error)
	ReminderMails(c *portal.Case, r store.CaseRecipients, closesAt time.Time) ([]store.Mail, error)
}

// AutoCloseWorker closes cases that have waited on the customer (information
// requested or solution proposed) for After as "no response from customer",
// with a notice to the opener, and reminds the opener once when half of
// After has passed.
type AutoCloseWorker struct {
	river.WorkerDefaults[AutoCloseArgs]
	Store  CaseStore
	Mailer CaseMailer
	After  time.Duration    // default config.DefaultAutoCloseAfter
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// Work implements river.Worker. Cases are closed before reminders are sent,
// so a case past its whole period is closed rather than reminded. A case
// that changed since it was listed (the customer answered a moment ago) is
// skipped: store.Act checks the clock again on the locked row.
func (w *AutoCloseWorker) Work(ctx context.Context, _ *river.Job[AutoCloseArgs]) error {
	closed, reminded, err := w.Run(ctx)
	if closed+reminded > 0 {
		w.logger().InfoContext(ctx, "auto-close", "closed", closed, "reminded", reminded)
	}
	return err
}

// Run does one pass and reports how many cases it closed and reminded.
func (w *AutoCloseWorker) Run(ctx context.Context) (closed, reminded int, err error) {
	if w.Store == nil || w.Mailer == nil {
		return 0, 0, errors.New("auto-close: store or mailer not set")
	}
	now, after := time.Now(), w.After
	if w.Now != nil {
		now = w.Now()
	}
	if after <= 0 {
		after = config.DefaultAutoCloseAfter
	}
	due, err := w.Store.AutoCloseDue(ctx, now, after)
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, number := range due {
		_, err := w.Store.Act(ctx, store.ActRequest{Number: number, Action: portal.ActAutoClose,
			IdleBefore: now.Add(-after), Mail: w.Mailer.AutoCloseMails})
		switch portal.ErrorCode(err) {
		case "":
			closed++
		case portal.EFORBIDDEN, portal.ENOTFOUND, portal.ECONFLICT:
			// No longer due: answered, changed or gone since it was listed.
		default:
			errs = append(errs, fmt.Errorf("auto-close %s: %w", number, err))
		}
	}

	half := after / 2
	remind, err := w.Store.CasesNeedingReminder(ctx, now, half)
	if err != nil {
		return closed, 0, errors.Join(append(errs, err)...)
	}
	for _, number := range remind {
		sent, err := w.Store.MarkReminderSent(ctx, number, now.Add(-half),
			func(c *portal.Case, r store.CaseRecipients) ([]store.Mail, error) {
				return w.Mailer.ReminderMails(c, r, c.WaitingSince.Add(after))
			})
		switch {
		case err == nil && sent:
			reminded++
		case err != nil && portal.ErrorCode(err) != portal.ENOTFOUND:
			errs = append(errs, fmt.Errorf("remind %s: %w", number, err))
		}
	}
	return closed, reminded, errors.Join(errs...)
}

func (w *AutoCloseWorker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}
