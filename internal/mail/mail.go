// Package mail delivers Madoguchi's outgoing e-mail.
//
// Mail is never sent from a request. The change that causes a mail writes an
// outbox row and inserts a river job (DeliverArgs) in the same database
// transaction, so a mail exists exactly when its cause was committed. The
// Worker then delivers the row through a Sender, retrying with backoff until
// the relay accepts it, and records the outcome on the row. The outbox table
// itself belongs to the store package; this package sees it only through the
// Outbox interface.
//
// SMTPSender talks to a real relay configured by SMTP_URL; DevSender is the
// stand-in for --dev without one.
package mail

import (
	"context"
	"errors"
	"time"
)

// Message is an outbox row as the mail package sees it. Text is required
// because some recipients read plain text only; HTML is an optional
// alternative rendering of the same content.
type Message struct {
	ID        int64
	To        string
	ToName    string
	Subject   string
	Text      string
	HTML      string
	CreatedAt time.Time
	SentAt    *time.Time
	Attempts  int
	LastError string
}

// Address is a mailbox with an optional display name, e.g. the portal's From.
type Address struct {
	Name  string
	Email string
}

// Sender hands one message to whatever delivers it.
//
// Send may be called again for a message it already delivered (after a crash
// between sending and recording the send), so implementations must keep what
// identifies the message, such as its Message-ID, stable across calls.
type Sender interface {
	Send(ctx context.Context, from Address, m Message) error
}

// ErrPermanent marks a failure that sending the same message again cannot
// fix, such as a recipient the relay rejects outright or a message that is
// malformed. Senders wrap it so the Worker can stop retrying instead of
// hammering the relay for weeks.
var ErrPermanent = errors.New("mail: permanent delivery failure")

// DevSender is the Sender used with --dev when SMTP_URL is unset. It delivers
// nothing anywhere and always succeeds: the outbox row is still written and
// marked sent, and the dev mailbox page shows mail by reading the outbox table
// directly, so developers can follow links and codes without any mail server.
type DevSender struct{}

// Send does nothing; see DevSender.
func (DevSender) Send(context.Context, Address, Message) error { return nil }
