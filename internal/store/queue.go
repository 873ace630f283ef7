package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"madoguchi/internal/portal"
)

// QueueAssignee selects queue cases by who they are assigned to.
type QueueAssignee string

const (
	AssigneeAny        QueueAssignee = "any"
	AssigneeMe         QueueAssignee = "me"
	AssigneeUnassigned QueueAssignee = "unassigned"
)

// Valid reports whether a is a known assignee filter.
func (a QueueAssignee) Valid() bool {
	return a == AssigneeAny || a == AssigneeMe || a == AssigneeUnassigned
}

// QueueSort is the order of the agent queue.
type QueueSort string

const (
	QueueByPriority QueueSort = "priority" // most urgent first, oldest first within a priority
	QueueByAge      QueueSort = "age"      // by creation, oldest first
	QueueByUpdated  QueueSort = "updated"  // by last update, latest first
	QueueByDue      QueueSort = "due"      // response due, soonest first; no clock running last
)

// QueueSorts lists the sorts in the order the page offers them.
var QueueSorts = []QueueSort{QueueByPriority, QueueByAge, QueueByUpdated, QueueByDue}

// Valid reports whether s is a known sort.
func (s QueueSort) Valid() bool {
	return s == QueueByPriority || s == QueueByAge || s == QueueByUpdated || s == QueueByDue
}

// DefaultDesc reports the natural direction of s.
func (s QueueSort) DefaultDesc() bool { return s == QueueByUpdated }

// Reversible reports whether s may be read in both directions. The response
// due reads soonest first only: "latest due first" would put the cases
// without a running clock first, which helps nobody.
func (s QueueSort) Reversible() bool { return s != QueueByDue }

// QueueFilter narrows the queue; zero values mean "any".
type QueueFilter struct {
	SubStatus portal.SubStatus // an open sub-status
	Priority  int              // 1–4
	ProductID int64
	AccountID int64
	Assignee  QueueAssignee // default any
}

// QueueQuery asks for one page of the agent queue.
type QueueQuery struct {
	Viewer *portal.User // staff; "me" is this user
	Filter QueueFilter
	Sort   QueueSort // default priority
	Desc   bool
	After  string // the Next cursor of the previous page; "" for the first
	Limit  int    // default QueueLimit
}

// QueueLimit is the page size of the queue.
const QueueLimit = 50

// QueueCountCap bounds the per-sub-status counts: past it the page says
// "100+" instead of counting every open case on each request: six
// bounded counts of a thousand index entries each cost a fifth of the
// page's throughput at a million cases (docs/benchmarks.md).
const QueueCountCap = 100

// QueueRow is one case of the queue, with the names the page shows.
type QueueRow struct {
	ID           int64
	Number       string
	Subject      string
	AccountID    int64
	AccountName  string
	HelpType     portal.HelpType
	ProductID    int64
	ProductName  string
	Priority     int
	SubStatus    portal.SubStatus
	AssignedTo   int64
	AssignedName string
	PartnerName  string // the partner organization it was filed through, if any
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ResponseDue  *time.Time // nil while no response clock runs
	Paused       bool       // the clock waits on the customer
}

// QueuePage is one page of the queue.
type QueuePage struct {
	Rows []QueueRow
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

func (q *QueueQuery) normalize() error {
	if q.Viewer == nil || !q.Viewer.Role.Staff() {
		return portal.Errorf(portal.EFORBIDDEN, "error.forbidden")
	}
	if !q.Sort.Valid() {
		q.Sort = QueueBySortDefault
	}
	if !q.Sort.Reversible() {
		q.Desc = false
	}
	if !q.Filter.Assignee.Valid() {
		q.Filter.Assignee = AssigneeAny
	}
	if q.Filter.SubStatus != "" && (!q.Filter.SubStatus.Valid() || q.Filter.SubStatus.Status() != portal.Open) {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	if q.Filter.Priority != 0 && !portal.ValidPriority(q.Filter.Priority) {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	if q.Limit <= 0 {
		q.Limit = QueueLimit
	}
	return nil
}

// QueueBySortDefault is the order of the queue when none is asked for.
const QueueBySortDefault = QueueByPriority

// Queue returns a page of the open cases of every organization, filtered
// and sorted as q asks, with keyset paging.
//
// The query is one index range scan (migrations/00008_queue.sql) that starts
// at the cursor and stops after one page: page 1,000 costs what page 1 does.
// Names are looked up per row of the page. Returns EFORBIDDEN unless the
// viewer is staff and EINVALID for a filter value that is not one of an open
// case or a cursor that is not one of this order's.
func (s *Store) Queue(ctx context.Context, q QueueQuery) (*QueuePage, error) {
	if err := q.normalize(); err != nil {
		return nil, err
	}
	var cur *queueCursor
	if q.After != "" {
		c, err := decodeQueueCursor(q.After, q.Sort, q.Desc)
		if err != nil {
			return nil, err
		}
		cur = c
	}
	sql, args := queueSQL(q, cur)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err, "queue")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (QueueRow, error) {
		var r QueueRow
		err := row.Scan(&r.ID, &r.Number, &r.Subject, &r.AccountID, &r.AccountName, &r.HelpType, &r.ProductID,
			&r.ProductName, &r.Priority, &r.SubStatus, &r.AssignedTo, &r.AssignedName, &r.PartnerName, &r.Version,
			&r.CreatedAt, &r.UpdatedAt, &r.ResponseDue, &r.Paused)
		return r, err
	})
	if err != nil {
		return nil, mapErr(err, "queue")
	}
	out := &QueuePage{Rows: list}
	if len(list) > q.Limit {
		out.Rows = list[:q.Limit]
		out.Next = encodeQueueCursor(q.Sort, q.Desc, &out.Rows[q.Limit-1])
	}
	return out, nil
}

// queueWhere writes the filter of f from fixed fragments, the sub-status
// one left out when skipSubStatus (the counts set it per sub-status). The
// expressions match the indexes' exactly: coalesce(assigned_to, 0).
func queueWhere(f QueueFilter, me int64, skipSubStatus bool, arg func(any) string) string {
	w := "c.status = 'open'"
	if f.SubStatus != "" && !skipSubStatus {
		w += " AND c.sub_status = " + arg(string(f.SubStatus))
	}
	if f.Priority != 0 {
		w += " AND c.priority = " + arg(int16(f.Priority))
	}
	if f.ProductID != 0 {
		w += " AND c.product_id = " + arg(f.ProductID)
	}
	if f.AccountID != 0 {
		w += " AND c.account_id = " + arg(f.AccountID)
	}
	switch f.Assignee {
	case AssigneeMe:
		w += " AND coalesce(c.assigned_to, 0) = " + arg(me)
	case AssigneeUnassigned:
		w += " AND coalesce(c.assigned_to, 0) = 0"
	}
	return w
}

// queueSQL writes the query of Queue: nothing the client sends is pasted
// into it.
func queueSQL(q QueueQuery, cur *queueCursor) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := queueWhere(q.Filter, q.Viewer.ID, false, arg)
	if cur != nil {
		where += " AND " + cur.predicate(q.Sort, q.Desc, arg)
	}
	return `SELECT c.id, c.number, c.subject, c.account_id, (SELECT a.name FROM accounts a WHERE a.id = c.account_id),
			c.help_type, coalesce(c.product_id, 0), coalesce((SELECT p.name FROM products p WHERE p.id = c.product_id), ''),
			c.priority, c.sub_status, coalesce(c.assigned_to, 0),
			coalesce((SELECT u.name FROM users u WHERE u.id = c.assigned_to), ''),
			coalesce((SELECT pa.name FROM accounts pa WHERE pa.id = c.partner_account_id), ''),
			c.version, c.created_at, c.updated_at, c.response_due, c.sla_remaining IS NOT NULL
		FROM cases c
		WHERE ` + where + `
		ORDER BY ` + queueOrder(q.Sort, q.Desc) + `
		LIMIT ` + arg(q.Limit+1), args
}

// queueKey is the sort key of s without the id, as the indexes hold it.
func queueKey(s QueueSort) string {
	switch s {
	case QueueByAge:
		return "c.created_at"
	case QueueByUpdated:
		return "c.updated_at"
	case QueueByDue:
		return "coalesce(c.response_due, 'infinity')"
	}
	return "c.priority"
}

// queueOrder ends in the id, a unique column, so that the keyset never
// skips or repeats a row; both columns run the same way, so an index serves
// either direction.
func queueOrder(s QueueSort, desc bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	return queueKey(s) + dir + ", c.id" + dir
}

// QueueCounts counts the open cases of each open sub-status that match q's
// other filters, each count stopping past QueueCountCap (so a value above
// the cap means "more than QueueCountCap"). The sub-status filter of q is
// ignored: the counts are what choosing each sub-status would show.
func (s *Store) QueueCounts(ctx context.Context, q QueueQuery) (map[portal.SubStatus]int, error) {
	q.Filter.SubStatus = ""
	if err := q.normalize(); err != nil {
		return nil, err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var subs []string
	for _, st := range portal.SubStatuses {
		if st.Status() == portal.Open {
			subs = append(subs, string(st))
		}
	}
	subArg := arg(subs)
	where := queueWhere(q.Filter, q.Viewer.ID, true, arg)
	// One bounded index range per sub-status: LIMIT inside, count outside.
	sql := `SELECT s.sub, (SELECT count(*) FROM (SELECT 1 FROM cases c WHERE ` + where + ` AND c.sub_status = s.sub
			LIMIT ` + arg(QueueCountCap+1) + `) x)
		FROM unnest(` + subArg + `::text[]) s(sub)`
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err, "queue counts")
	}
	out := make(map[portal.SubStatus]int, len(subs))
	var sub string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&sub, &n}, func() error {
		out[portal.SubStatus(sub)] = n
		return nil
	})
	if err != nil {
		return nil, mapErr(err, "queue counts")
	}
	return out, nil
}

// queueCursor is the sort key of the last row of a page.
type queueCursor struct {
	at       time.Time // created, updated or due
	infinite bool      // due: no clock running
	priority int
	id       int64
}

// predicate is the keyset condition for rows after the cursor, one row
// comparison over exactly the index's columns, so that it bounds the scan.
func (c *queueCursor) predicate(s QueueSort, desc bool, arg func(any) string) string {
	op := " > "
	if desc {
		op = " < "
	}
	id := arg(c.id) + "::bigint"
	switch s {
	case QueueByPriority:
		return "(c.priority, c.id)" + op + "(" + arg(int16(c.priority)) + "::smallint, " + id + ")"
	case QueueByDue:
		due := pgtype.Timestamptz{Time: c.at, Valid: true}
		if c.infinite {
			due = pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}
		}
		return "(" + queueKey(s) + ", c.id)" + op + "(" + arg(due) + "::timestamptz, " + id + ")"
	}
	return "(" + queueKey(s) + ", c.id)" + op + "(" + arg(c.at) + "::timestamptz, " + id + ")"
}

// Queue cursors are opaque to the client: the order, its direction and the
// last row's key, base64url-encoded. A forged cursor only moves the start
// of the page.
func encodeQueueCursor(s QueueSort, desc bool, r *QueueRow) string {
	dir := "a"
	if desc {
		dir = "d"
	}
	var key string
	switch s {
	case QueueByPriority:
		key = strconv.Itoa(r.Priority)
	case QueueByAge:
		key = strconv.FormatInt(r.CreatedAt.UnixMicro(), 10)
	case QueueByUpdated:
		key = strconv.FormatInt(r.UpdatedAt.UnixMicro(), 10)
	case QueueByDue:
		key = "inf"
		if r.ResponseDue != nil {
			key = strconv.FormatInt(r.ResponseDue.UnixMicro(), 10)
		}
	}
	raw := fmt.Sprintf("%s|%s|%s|%d", s, dir, key, r.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeQueueCursor(str string, s QueueSort, desc bool) (*queueCursor, error) {
	bad := portal.Errorf(portal.EINVALID, "error.bad_request")
	raw, err := base64.RawURLEncoding.DecodeString(str)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), "|")
	dir := "a"
	if desc {
		dir = "d"
	}
	if len(parts) != 4 || parts[0] != string(s) || parts[1] != dir {
		return nil, bad
	}
	c := &queueCursor{}
	if c.id, err = strconv.ParseInt(parts[3], 10, 64); err != nil || c.id <= 0 {
		return nil, bad
	}
	switch {
	case s == QueueByPriority:
		p, err := strconv.Atoi(parts[2])
		if err != nil || !portal.ValidPriority(p) {
			return nil, bad
		}
		c.priority = p
	case s == QueueByDue && parts[2] == "inf":
		c.infinite = true
	default:
		us, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return nil, bad
		}
		c.at = time.UnixMicro(us)
	}
	return c, nil
}

// AssignCases assigns each listed case to one agent, each in its own
// transaction through AssignCase (timeline entry and audit entry), without a
// version check: the agent chose the rows from a list, not from a form drawn
// from one version of each case. Closed cases and unknown numbers are
// skipped. Returns how many cases were assigned (or were already the agent's).
func (s *Store) AssignCases(ctx context.Context, numbers []string, a AssignRequest) (int, error) {
	n := 0
	for _, number := range numbers {
		if !portal.ValidCaseNumber(number) {
			continue
		}
		a.Number, a.Version, a.OpenOnly = number, 0, true
		_, err := s.AssignCase(ctx, a)
		switch portal.ErrorCode(err) {
		case "":
			n++
		case portal.ENOTFOUND, portal.ECONFLICT:
		default:
			return n, err
		}
	}
	return n, nil
}
