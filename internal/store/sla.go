package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// This file keeps cases.response_due right: the response clock
// (portal.SLAPolicy.Step) is applied inside the transactions that change
// cases, so the due time never disagrees with the case's state. The clock's
// state lives in three columns: response_due (running), sla_remaining
// (paused: seconds of the target left) and neither (stopped).

// SetSLAPolicy sets the response targets and business calendar; a Store
// uses portal.DefaultSLAPolicy until it is called.
func (s *Store) SetSLAPolicy(p portal.SLAPolicy) { s.sla = p }

// SLAPolicy returns the policy in use.
func (s *Store) SLAPolicy() portal.SLAPolicy { return s.sla }

func slaOf(due *time.Time, remaining *int32) portal.SLA {
	switch {
	case due != nil:
		return portal.SLA{State: portal.SLARunning, Due: *due}
	case remaining != nil:
		return portal.SLA{State: portal.SLAPaused, Remaining: time.Duration(*remaining) * time.Second}
	}
	return portal.SLA{}
}

// applySLA moves the clock of case id (locked or just inserted in tx) by
// event e at now. prio is the case's priority after the change, oldPrio the
// one before (for SLAPriorityChanged). A changed clock is a new target (or
// none), so the warning mark is cleared with it.
func (s *Store) applySLA(ctx context.Context, tx pgx.Tx, id int64, e portal.SLAEvent, prio, oldPrio int, now time.Time) error {
	var cur portal.SLA
	switch e {
	case portal.SLANone:
		return nil
	case portal.SLAOpened, portal.SLAAgentResponded, portal.SLAClosed:
		// The outcome does not depend on the current state: no read.
		cur = portal.SLA{State: -1}
	default:
		var due *time.Time
		var remaining *int32
		if err := tx.QueryRow(ctx, `SELECT response_due, sla_remaining FROM cases WHERE id = $1`, id).
			Scan(&due, &remaining); err != nil {
			return err
		}
		cur = slaOf(due, remaining)
	}
	next := s.sla.Step(cur, e, now, prio, oldPrio)
	if next.State == cur.State && next.Due.Equal(cur.Due) && next.Remaining == cur.Remaining {
		return nil
	}
	var due *time.Time
	var remaining *int32
	switch next.State {
	case portal.SLARunning:
		due = &next.Due
	case portal.SLAPaused:
		r := int32(next.Remaining.Round(time.Second) / time.Second)
		remaining = &r
	}
	_, err := tx.Exec(ctx, `UPDATE cases SET response_due = $2, sla_remaining = $3, response_warned_at = NULL
		WHERE id = $1`, id, due, remaining)
	return err
}

// CaseSLA returns the response clock of a case, for staff pages.
func (s *Store) CaseSLA(ctx context.Context, caseID int64) (portal.SLA, error) {
	var due *time.Time
	var remaining *int32
	err := s.pool.QueryRow(ctx, `SELECT response_due, sla_remaining FROM cases WHERE id = $1`, caseID).
		Scan(&due, &remaining)
	if err != nil {
		return portal.SLA{}, mapErr(err, fmt.Sprintf("response clock of case %d", caseID))
	}
	return slaOf(due, remaining), nil
}

// responseWarnBatch is how many cases one transaction of the warning job
// takes; responseWarnMax bounds one run (the next run, a minute later,
// takes the rest).
const (
	responseWarnBatch = 50
	responseWarnMax   = 1000
)

// WarnResponsesDue finds open cases whose response is due by now+before
// (or overdue) and not yet warned about for the current target, and for
// each writes the mails that mail builds (agent is the assigned agent, nil
// when unassigned or disabled) and marks it warned, in the transaction that
// locks it. Rows another run holds are skipped (SKIP LOCKED), so two runs
// never warn twice. A case for which mail returns no mail is marked too, so
// it is not retried every minute. Returns how many cases were handled.
func (s *Store) WarnResponsesDue(ctx context.Context, now time.Time, before time.Duration,
	mail func(c *portal.Case, due time.Time, agent *Recipient) ([]Mail, error)) (int, error) {
	total := 0
	for total < responseWarnMax {
		n := 0
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, response_due FROM cases
				WHERE response_due IS NOT NULL AND response_warned_at IS NULL AND response_due <= $1
					AND status = 'open'
				ORDER BY response_due, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now.Add(before), responseWarnBatch)
			if err != nil {
				return err
			}
			type dueCase struct {
				id  int64
				due time.Time
			}
			due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dueCase, error) {
				var d dueCase
				return d, r.Scan(&d.id, &d.due)
			})
			if err != nil {
				return err
			}
			for _, d := range due {
				c, err := caseByID(ctx, tx, d.id)
				if err != nil {
					return err
				}
				rcpt, err := caseRecipients(ctx, tx, c)
				if err != nil {
					return err
				}
				if mail != nil {
					mails, err := mail(c, d.due, rcpt.Agent)
					if err != nil {
						return err
					}
					if err := s.insertOutbox(ctx, tx, mails...); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, `UPDATE cases SET response_warned_at = $2 WHERE id = $1`, d.id, s.now()); err != nil {
					return err
				}
			}
			n = len(due)
			return nil
		})
		if err != nil {
			return total, mapErr(err, "warn of responses due")
		}
		total += n
		if n < responseWarnBatch {
			break
		}
	}
	return total, nil
}
