package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

const caseColumns = `c.id, c.number, c.account_id, a.name, c.opened_by, o.name, c.help_type,
	coalesce(c.product_id, 0), coalesce(p.name, ''), c.product_version, c.os, coalesce(c.category_id, 0),
	coalesce(c.problem_id, 0), c.priority, c.subject, c.description, c.business_impact, c.cc, c.status,
	c.sub_status, coalesce(c.assigned_to, 0), coalesce(g.name, ''), c.version, coalesce(c.follow_up_of, 0),
	coalesce(f.number, ''), c.waiting_since, c.created_at, c.updated_at, c.closed_at`

const caseFrom = ` FROM cases c
	JOIN accounts a ON a.id = c.account_id
	JOIN users o ON o.id = c.opened_by
	LEFT JOIN products p ON p.id = c.product_id
	LEFT JOIN users g ON g.id = c.assigned_to
	LEFT JOIN cases f ON f.id = c.follow_up_of`

func scanCase(row pgx.Row) (*portal.Case, error) {
	var c portal.Case
	err := row.Scan(&c.ID, &c.Number, &c.AccountID, &c.AccountName, &c.OpenedBy, &c.OpenedByName, &c.HelpType,
		&c.ProductID, &c.ProductName, &c.ProductVersion, &c.OS, &c.CategoryID,
		&c.ProblemID, &c.Priority, &c.Subject, &c.Description, &c.BusinessImpact, &c.CC, &c.Status,
		&c.SubStatus, &c.AssignedTo, &c.AssignedName, &c.Version, &c.FollowUpOf,
		&c.FollowUpNumber, &c.WaitingSince, &c.CreatedAt, &c.UpdatedAt, &c.ClosedAt)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CaseByNumber returns the case with number, whoever asks; callers check
// portal.CanView. Returns ENOTFOUND if there is none.
func (s *Store) CaseByNumber(ctx context.Context, number string) (*portal.Case, error) {
	if !portal.ValidCaseNumber(number) {
		return nil, &portal.Error{Code: portal.ENOTFOUND, Message: "error.not_found"}
	}
	c, err := scanCase(s.pool.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.number = $1`, number))
	return c, mapErr(err, "case "+number)
}

// lockCase reads a case for update inside tx and checks that the caller's
// form was built on the current version (0 skips the check). Returns
// ECONFLICT with "case.changed" for a stale form.
func lockCase(ctx context.Context, tx pgx.Tx, number string, version int) (*portal.Case, error) {
	c, err := scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.number = $1 FOR UPDATE OF c`, number))
	if err != nil {
		return nil, err
	}
	if version != 0 && version != c.Version {
		return nil, portal.Errorf(portal.ECONFLICT, "case.changed")
	}
	return c, nil
}

// NewAttachment is an uploaded file whose bytes are already stored.
type NewAttachment struct {
	Name        string
	Size        int64
	SHA256      string
	ContentType string
	StorageKey  string
}

func insertAttachments(ctx context.Context, tx pgx.Tx, caseID, eventID, by int64, files []NewAttachment) error {
	for _, f := range files {
		if _, err := tx.Exec(ctx, `INSERT INTO attachments (case_id, event_id, name, size, sha256, content_type,
				storage_key, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			caseID, eventID, f.Name, f.Size, f.SHA256, f.ContentType, f.StorageKey, by); err != nil {
			return err
		}
	}
	return nil
}

// NewEvent is a timeline entry to add.
type NewEvent struct {
	ActorID  int64
	Kind     string
	Action   portal.Action
	Body     string
	Internal bool
	From, To portal.SubStatus
	Detail   map[string]any
}

func insertEvent(ctx context.Context, tx pgx.Tx, caseID int64, at time.Time, e NewEvent) (int64, error) {
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO case_events (case_id, at, actor_id, kind, action, body, internal,
			from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		caseID, at, nullID(e.ActorID), e.Kind, e.Action, e.Body, e.Internal, e.From, e.To, e.Detail).Scan(&id)
	return id, err
}

// NewCase is a case as filed.
type NewCase struct {
	AccountID      int64
	OpenedBy       int64
	HelpType       portal.HelpType
	ProductID      int64
	ProductVersion string
	OS             string
	CategoryID     int64
	ProblemID      int64
	Priority       int
	Subject        string
	Description    string
	BusinessImpact string
	CC             []string
	FollowUpOf     int64
	FormToken      string
	Files          []NewAttachment
}

// CreateCase files a case with its first timeline entry, its attachments and
// the mails mail builds once the number is known, in one transaction. A
// second submission of the same form (FormToken) returns the first case with
// created false. A follow-up case is linked from the case it follows.
func (s *Store) CreateCase(ctx context.Context, nc NewCase, mail func(c *portal.Case) ([]Mail, error)) (c *portal.Case, created bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var token *string
		if nc.FormToken != "" {
			token = &nc.FormToken
		}
		if nc.CC == nil {
			nc.CC = []string{} // a nil slice would be NULL
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO cases (account_id, opened_by, help_type, product_id, product_version, os,
				category_id, problem_id, priority, subject, description, business_impact, cc, follow_up_of, form_token,
				created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
			ON CONFLICT (opened_by, form_token) WHERE form_token IS NOT NULL DO NOTHING
			RETURNING id`,
			nc.AccountID, nc.OpenedBy, nc.HelpType, nullID(nc.ProductID), nc.ProductVersion, nc.OS,
			nullID(nc.CategoryID), nullID(nc.ProblemID), nc.Priority, nc.Subject, nc.Description, nc.BusinessImpact,
			nc.CC, nullID(nc.FollowUpOf), token, s.now()).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			// The same form again: answer with the case it created.
			c, err = scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.opened_by = $1 AND c.form_token = $2`,
				nc.OpenedBy, nc.FormToken))
			return err
		}
		if err != nil {
			return err
		}
		created = true
		eventID, err := insertEvent(ctx, tx, id, s.now(), NewEvent{ActorID: nc.OpenedBy, Kind: "created", To: portal.SubNew})
		if err != nil {
			return err
		}
		if err := s.applySLA(ctx, tx, id, portal.SLAOpened, nc.Priority, 0, s.now()); err != nil {
			return err
		}
		if err := insertAttachments(ctx, tx, id, eventID, nc.OpenedBy, nc.Files); err != nil {
			return err
		}
		if nc.FollowUpOf != 0 {
			if _, err := insertEvent(ctx, tx, nc.FollowUpOf, s.now(), NewEvent{ActorID: nc.OpenedBy, Kind: "follow_up",
				Detail: map[string]any{"case_id": id}}); err != nil {
				return err
			}
		}
		if c, err = scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.id = $1`, id)); err != nil {
			return err
		}
		if mail == nil {
			return nil
		}
		mails, err := mail(c)
		if err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mails...)
	})
	if err != nil {
		return nil, false, mapErr(err, fmt.Sprintf("create case for account %d", nc.AccountID))
	}
	return c, created, nil
}
