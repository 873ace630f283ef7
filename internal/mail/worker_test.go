package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"madoguchi/internal/portal"
)

type fakeOutbox struct {
	mu      sync.Mutex
	msgs    map[int64]Message
	loadErr error
	markErr error
	failed  []string // errText per MarkOutboxFailed call
}

func (o *fakeOutbox) OutboxMessage(_ context.Context, id int64) (Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.loadErr != nil {
		return Message{}, o.loadErr
	}
	m, ok := o.msgs[id]
	if !ok {
		return Message{}, portal.Errorf(portal.ENOTFOUND, "error.not_found")
	}
	return m, nil
}

func (o *fakeOutbox) MarkOutboxSent(ctx context.Context, id int64, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.markErr != nil {
		return o.markErr
	}
	m := o.msgs[id]
	m.SentAt = &at
	o.msgs[id] = m
	return nil
}

func (o *fakeOutbox) MarkOutboxFailed(ctx context.Context, id int64, errText string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	m := o.msgs[id]
	m.Attempts++
	m.LastError = errText
	o.msgs[id] = m
	o.failed = append(o.failed, errText)
	return nil
}

type fakeSender struct {
	mu   sync.Mutex
	sent []Message
	from []Address
	err  error
	// block makes Send wait for ctx, to imitate a send cut short by
	// shutdown.
	block bool
}

func (s *fakeSender) Send(ctx context.Context, from Address, m Message) error {
	if s.block {
		<-ctx.Done()
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.sent = append(s.sent, m)
	s.from = append(s.from, from)
	return nil
}

var (
	testFrom = Address{Name: "Madoguchi サポート", Email: "support@madoguchi.example"}
	testNow  = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	// A body with the kind of secrets that must never reach the log.
	secretText = "コード: 482913\nhttps://portal.madoguchi.example/approvals/42?token=s3cr3t"
)

func newTestWorker(msgs ...Message) (*Worker, *fakeOutbox, *fakeSender, *bytes.Buffer) {
	outbox := &fakeOutbox{msgs: map[int64]Message{}}
	for _, m := range msgs {
		outbox.msgs[m.ID] = m
	}
	sender := &fakeSender{}
	var logs bytes.Buffer
	w := &Worker{
		Outbox: outbox,
		Sender: sender,
		From:   testFrom,
		Now:    func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return w, outbox, sender, &logs
}

func testJob(id int64, attempt int) *river.Job[DeliverArgs] {
	return &river.Job[DeliverArgs]{
		JobRow: &rivertype.JobRow{ID: 1000 + id, Attempt: attempt, MaxAttempts: maxAttempts},
		Args:   DeliverArgs{MessageID: id},
	}
}

func testMessage(id int64) Message {
	return Message{ID: id, To: "Taro.Yamada@Example.JP", ToName: "山田 太郎", Subject: "ワンタイムパスコード", Text: secretText, HTML: "<p>" + secretText + "</p>"}
}

// assertLogsClean checks the log names the message and the recipient's
// domain but not the recipient or anything from the body.
func assertLogsClean(t *testing.T, logs string) {
	t.Helper()
	for _, secret := range []string{"482913", "s3cr3t", "approvals", "Taro.Yamada", "taro.yamada", "ワンタイム"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "to_domain=example.jp") || !strings.Contains(logs, "message_id=") || !strings.Contains(logs, "attempt=") {
		t.Errorf("log lacks message_id, to_domain or attempt:\n%s", logs)
	}
}

func TestWorkerSendsOnce(t *testing.T) {
	w, outbox, sender, logs := newTestWorker(testMessage(1))

	if err := w.Work(t.Context(), testJob(1, 1)); err != nil {
		t.Fatal(err)
	}
	if len(sender.sent) != 1 || sender.sent[0].ID != 1 || sender.from[0] != testFrom {
		t.Fatalf("sent %+v from %+v", sender.sent, sender.from)
	}
	if at := outbox.msgs[1].SentAt; at == nil || !at.Equal(testNow) {
		t.Errorf("SentAt = %v, want %v", at, testNow)
	}

	// The job running again (river retried after a lost acknowledgement,
	// or a second job for the same message) must not send again.
	if err := w.Work(t.Context(), testJob(1, 2)); err != nil {
		t.Fatal(err)
	}
	if len(sender.sent) != 1 {
		t.Errorf("sent %d times, want once", len(sender.sent))
	}
	if !strings.Contains(logs.String(), "already sent") {
		t.Errorf("skip not logged:\n%s", logs)
	}
	assertLogsClean(t, logs.String())
}

func TestWorkerSkipsAlreadySent(t *testing.T) {
	m := testMessage(2)
	sentAt := testNow.Add(-time.Hour)
	m.SentAt = &sentAt
	w, outbox, sender, _ := newTestWorker(m)

	if err := w.Work(t.Context(), testJob(2, 1)); err != nil {
		t.Fatal(err)
	}
	if len(sender.sent) != 0 {
		t.Errorf("sent %d, want 0", len(sender.sent))
	}
	if !outbox.msgs[2].SentAt.Equal(sentAt) {
		t.Errorf("SentAt changed to %v", outbox.msgs[2].SentAt)
	}
}

func TestWorkerRecordsAndReturnsFailure(t *testing.T) {
	w, outbox, sender, logs := newTestWorker(testMessage(3))
	sendErr := errors.New("451 4.7.1 <Taro.Yamada@Example.JP>: try again later")
	sender.err = sendErr

	err := w.Work(t.Context(), testJob(3, 1))
	if !errors.Is(err, sendErr) {
		t.Fatalf("Work = %v, want the send error", err)
	}
	var cancel *river.JobCancelError
	if errors.As(err, &cancel) {
		t.Errorf("temporary failure cancelled the job: %v", err)
	}
	if len(outbox.failed) != 1 || outbox.failed[0] != sendErr.Error() {
		t.Errorf("MarkOutboxFailed calls = %q", outbox.failed)
	}
	if m := outbox.msgs[3]; m.SentAt != nil || m.Attempts != 1 {
		t.Errorf("row after failure: SentAt=%v Attempts=%d", m.SentAt, m.Attempts)
	}
	if !strings.Contains(logs.String(), "will retry") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("failure not logged as a warning:\n%s", logs)
	}
	assertLogsClean(t, logs.String())

	// Once the relay recovers, the next attempt goes through.
	sender.err = nil
	if err := w.Work(t.Context(), testJob(3, 2)); err != nil {
		t.Fatal(err)
	}
	if outbox.msgs[3].SentAt == nil || len(sender.sent) != 1 {
		t.Errorf("retry did not send and record")
	}
}

func TestWorkerLastAttemptLogsError(t *testing.T) {
	w, _, sender, logs := newTestWorker(testMessage(4))
	sender.err = errors.New("dial tcp: connection refused")
	if err := w.Work(t.Context(), testJob(4, maxAttempts)); err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(logs.String(), "giving up") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("last attempt not logged as an error:\n%s", logs)
	}
}

func TestWorkerCancelsPermanentFailure(t *testing.T) {
	w, outbox, sender, logs := newTestWorker(testMessage(5))
	sender.err = fmt.Errorf("%w: 550 5.1.1 <taro.yamada@example.jp>: no such user", ErrPermanent)

	err := w.Work(t.Context(), testJob(5, 1))
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) || !errors.Is(err, ErrPermanent) {
		t.Fatalf("Work = %v, want a JobCancel wrapping ErrPermanent", err)
	}
	if len(outbox.failed) != 1 {
		t.Errorf("failure not recorded: %q", outbox.failed)
	}
	assertLogsClean(t, logs.String())
}

func TestWorkerCancelsMissingMessage(t *testing.T) {
	w, _, sender, _ := newTestWorker()
	err := w.Work(t.Context(), testJob(6, 1))
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) || portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("Work = %v, want a JobCancel wrapping not_found", err)
	}
	if len(sender.sent) != 0 {
		t.Errorf("sent %d", len(sender.sent))
	}
}

func TestWorkerRetriesLoadError(t *testing.T) {
	w, outbox, sender, _ := newTestWorker(testMessage(7))
	outbox.loadErr = errors.New("connection reset by peer")
	err := w.Work(t.Context(), testJob(7, 1))
	var cancel *river.JobCancelError
	if !errors.Is(err, outbox.loadErr) || errors.As(err, &cancel) {
		t.Fatalf("Work = %v, want the load error, retryable", err)
	}
	if len(sender.sent) != 0 || len(outbox.failed) != 0 {
		t.Errorf("sent %d, failures recorded %d", len(sender.sent), len(outbox.failed))
	}
}

func TestWorkerMarkSentFailureIsRetried(t *testing.T) {
	w, outbox, sender, _ := newTestWorker(testMessage(8))
	outbox.markErr = errors.New("connection reset by peer")
	if err := w.Work(t.Context(), testJob(8, 1)); !errors.Is(err, outbox.markErr) {
		t.Fatalf("Work = %v, want the mark error", err)
	}
	if len(sender.sent) != 1 {
		t.Errorf("sent %d", len(sender.sent))
	}
}

func TestWorkerRecordsFailureAfterCancellation(t *testing.T) {
	w, outbox, sender, _ := newTestWorker(testMessage(9))
	sender.block = true
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()

	err := w.Work(ctx, testJob(9, 1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Work = %v", err)
	}
	if len(outbox.failed) != 1 {
		t.Errorf("failure of a cancelled send not recorded: %q", outbox.failed)
	}
}

func TestDeliverArgs(t *testing.T) {
	b, err := json.Marshal(DeliverArgs{MessageID: 42})
	if err != nil || string(b) != `{"message_id":42}` {
		t.Errorf("JSON = %s, %v", b, err)
	}
	args := DeliverArgs{}
	if args.Kind() != "mail_deliver" {
		t.Errorf("Kind = %q", args.Kind())
	}
	opts := args.InsertOpts()
	if opts.Queue != Queue || Queue != "mail" || opts.MaxAttempts != 25 || !opts.UniqueOpts.ByArgs {
		t.Errorf("InsertOpts = %+v", opts)
	}
}

func TestErrorText(t *testing.T) {
	long := strings.Repeat("あ", 1000)
	got := errorText(errors.New(long))
	if len(got) > maxErrorLen || !strings.HasPrefix(long, got) || len(got) < maxErrorLen-3 {
		t.Errorf("errorText cut to %d bytes, valid prefix: %v", len(got), strings.HasPrefix(long, got))
	}
	if got := errorText(errors.New("a\x00b\xffc")); got != "ab\uFFFDc" {
		t.Errorf("errorText = %q", got)
	}
}
