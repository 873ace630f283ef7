package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// CaseState selects cases in a list by status.
type CaseState string

const (
	StateOpen   CaseState = "open"
	StateClosed CaseState = "closed"
	StateAll    CaseState = "all"
)

// Valid reports whether s is a known state filter.
func (s CaseState) Valid() bool { return s == StateOpen || s == StateClosed || s == StateAll }

// CaseSort is the order of a case list. Each has a default direction:
// updated and number newest first, priority most urgent first.
type CaseSort string

const (
	SortUpdated  CaseSort = "updated"  // last update, then id
	SortNumber   CaseSort = "number"   // case number
	SortPriority CaseSort = "priority" // priority, then id (oldest first within a priority when ascending)
)

// Valid reports whether s is a known sort.
func (s CaseSort) Valid() bool { return s == SortUpdated || s == SortNumber || s == SortPriority }

// DefaultDesc reports the natural direction of s.
func (s CaseSort) DefaultDesc() bool { return s != SortPriority }

// CaseListQuery asks for one page of the cases a customer may see.
type CaseListQuery struct {
	Viewer *portal.User // a customer contact
	State  CaseState    // default open
	Sort   CaseSort     // default updated
	Desc   bool
	After  string // the Next cursor of the previous page; "" for the first
	Limit  int    // default 50
}

// CaseList is one page of a case list.
type CaseList struct {
	// Cases carry the summary fields only: ID, Number, AccountID,
	// AccountName, OpenedBy, OpenedByName, HelpType, ProductID, ProductName,
	// Subject, Priority, Status, SubStatus, CreatedAt and UpdatedAt.
	Cases []*portal.Case
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

// CaseListLimit is the page size of case lists.
const CaseListLimit = 50

// ListCases returns a page of the cases viewer may see in the list (a
// contact: the cases they opened and those whose CC list holds their
// address, whatever the organization; an account administrator: every case
// of the organization and those they are CC'd on), filtered and sorted as q
// asks, with keyset paging.
//
// Each branch of the query (own or organization's, CC'd; and, for the
// number and priority orders, open and closed) is an index range scan that
// starts at the cursor and stops after one page; the branches are merged
// and cut to the page. No OFFSET, no count: page 1,000 costs what page 1
// does. Returns EINVALID for a staff viewer or a cursor that is not one of
// this order's.
func (s *Store) ListCases(ctx context.Context, q CaseListQuery) (*CaseList, error) {
	if q.Viewer == nil || q.Viewer.Role.Staff() || q.Viewer.AccountID == 0 {
		return nil, portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	if !q.State.Valid() {
		q.State = StateOpen
	}
	if !q.Sort.Valid() {
		q.Sort = SortUpdated
	}
	if q.Limit <= 0 {
		q.Limit = CaseListLimit
	}
	var cur *caseCursor
	if q.After != "" {
		c, err := decodeCaseCursor(q.After, q.Sort, q.Desc)
		if err != nil {
			return nil, err
		}
		cur = c
	}

	sql, args := caseListSQL(q, cur)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err, "list cases")
	}
	cases, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*portal.Case, error) {
		var c portal.Case
		err := row.Scan(&c.ID, &c.Number, &c.AccountID, &c.AccountName, &c.OpenedBy, &c.OpenedByName, &c.HelpType,
			&c.ProductID, &c.ProductName, &c.Subject, &c.Priority, &c.Status, &c.SubStatus, &c.CreatedAt, &c.UpdatedAt)
		return &c, err
	})
	if err != nil {
		return nil, mapErr(err, "list cases")
	}
	out := &CaseList{Cases: cases}
	if len(cases) > q.Limit {
		out.Cases = cases[:q.Limit]
		out.Next = encodeCaseCursor(q.Sort, q.Desc, out.Cases[q.Limit-1])
	}
	return out, nil
}

// caseListSQL writes the query of ListCases from fixed fragments: nothing
// the client sends is pasted into it.
func caseListSQL(q CaseListQuery, cur *caseCursor) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	limit := arg(q.Limit + 1)

	var own string
	if q.Viewer.IsAccountAdmin {
		own = "c.account_id = " + arg(q.Viewer.AccountID)
	} else {
		own = "c.opened_by = " + arg(q.Viewer.ID)
	}
	// The CC'd cases are read whole through the GIN index on cc (a person
	// is CC'd on few cases) and filtered after: asked for "cc @> x AND
	// status = 'open'" at once, the planner ANDs the GIN bitmap with a
	// bitmap of the organization's open cases, which costs more than the
	// few rows it saves.
	cc := arg([]string{strings.ToLower(q.Viewer.Email)})

	// The number and priority indexes lead with status, so "all" reads the
	// open and the closed range separately; the updated order has an index
	// over both (and a partial one for open cases, the default view).
	status := ""
	switch q.State {
	case StateOpen:
		status = " AND c.status = 'open'"
	case StateClosed:
		status = " AND c.status = 'closed'"
	}
	statuses := []string{status}
	if q.State == StateAll && q.Sort != SortUpdated {
		statuses = []string{" AND c.status = 'open'", " AND c.status = 'closed'"}
	}

	keyset := ""
	if cur != nil {
		keyset = " AND " + cur.predicate(q.Sort, q.Desc, arg)
	}
	order := caseListOrder(q.Sort, q.Desc)

	const cols = `c.id, c.number, c.account_id, c.opened_by, c.product_id, c.help_type, c.subject, c.priority,
		c.status, c.sub_status, c.created_at, c.updated_at`
	branch := func(from, where string) string {
		return `(SELECT ` + cols + ` FROM ` + from + ` c WHERE ` + where + keyset +
			` ORDER BY ` + order("c") + ` LIMIT ` + limit + `)`
	}
	var branches []string
	for _, st := range statuses {
		branches = append(branches, branch("cases", own+st))
	}
	branches = append(branches, branch("cc", "true"+status))
	// Names are looked up per row of the page (subqueries, not joins), so
	// that the planner never hashes a whole table for fifty rows.
	return `WITH cc AS MATERIALIZED (SELECT ` + cols + ` FROM cases c WHERE c.cc @> ` + cc + `::text[])
		SELECT v.id, v.number, v.account_id, (SELECT a.name FROM accounts a WHERE a.id = v.account_id),
			v.opened_by, (SELECT o.name FROM users o WHERE o.id = v.opened_by), v.help_type, coalesce(v.product_id, 0),
			coalesce((SELECT p.name FROM products p WHERE p.id = v.product_id), ''),
			v.subject, v.priority, v.status, v.sub_status, v.created_at, v.updated_at
		FROM (SELECT * FROM (` + strings.Join(branches, "\nUNION\n") + `) u ORDER BY ` + order("u") + ` LIMIT ` + limit + `) v
		ORDER BY ` + order("v"), args
}

// caseListOrder returns the ORDER BY of sort for the table alias t. Every
// order ends in a unique column, so the keyset never skips or repeats a row.
func caseListOrder(sort CaseSort, desc bool) func(t string) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	return func(t string) string {
		switch sort {
		case SortNumber:
			return t + ".number" + dir
		case SortPriority:
			return t + ".priority" + dir + ", " + t + ".id" + dir
		}
		return t + ".updated_at" + dir + ", " + t + ".id" + dir
	}
}

// caseCursor is the sort key of the last row of a page.
type caseCursor struct {
	updated  time.Time
	number   string
	priority int
	id       int64
}

// predicate is the keyset condition for rows after the cursor, written as
// one row comparison so that it bounds the index range scan.
func (c *caseCursor) predicate(sort CaseSort, desc bool, arg func(any) string) string {
	op := " > "
	if desc {
		op = " < "
	}
	switch sort {
	case SortNumber:
		return "c.number" + op + arg(c.number)
	case SortPriority:
		return "(c.priority, c.id)" + op + "(" + arg(c.priority) + "::smallint, " + arg(c.id) + "::bigint)"
	}
	return "(c.updated_at, c.id)" + op + "(" + arg(c.updated) + "::timestamptz, " + arg(c.id) + "::bigint)"
}

// Cursors are opaque to the client: the order, its direction and the last
// row's key, base64url-encoded. A forged cursor only moves the start of the
// page: the viewer's scope is applied to every row regardless.
func encodeCaseCursor(sort CaseSort, desc bool, c *portal.Case) string {
	dir := "a"
	if desc {
		dir = "d"
	}
	var key string
	switch sort {
	case SortNumber:
		key = c.Number
	case SortPriority:
		key = strconv.Itoa(c.Priority)
	default:
		key = strconv.FormatInt(c.UpdatedAt.UnixMicro(), 10)
	}
	raw := fmt.Sprintf("%s|%s|%s|%d", sort, dir, key, c.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCaseCursor(s string, sort CaseSort, desc bool) (*caseCursor, error) {
	bad := portal.Errorf(portal.EINVALID, "error.bad_request")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), "|")
	dir := "a"
	if desc {
		dir = "d"
	}
	if len(parts) != 4 || parts[0] != string(sort) || parts[1] != dir {
		return nil, bad
	}
	c := &caseCursor{}
	if c.id, err = strconv.ParseInt(parts[3], 10, 64); err != nil || c.id <= 0 {
		return nil, bad
	}
	switch sort {
	case SortNumber:
		if !portal.ValidCaseNumber(parts[2]) {
			return nil, bad
		}
		c.number = parts[2]
	case SortPriority:
		p, err := strconv.Atoi(parts[2])
		if err != nil || !portal.ValidPriority(p) {
			return nil, bad
		}
		c.priority = p
	default:
		us, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return nil, bad
		}
		c.updated = time.UnixMicro(us)
	}
	return c, nil
}
