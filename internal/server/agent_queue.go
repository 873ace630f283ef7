package server

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// queueQuery is the queue's query string (DESIGN.md: sub_status priority
// product account assignee sort), read leniently: a value that is not one of
// the choices means the default, so a hand-edited URL still shows a queue.
type queueQuery struct {
	sub      portal.SubStatus
	priority int
	product  int64
	account  string // a customer identifier, normalized
	assignee store.QueueAssignee
	sort     store.QueueSort
	desc     bool
	after    string
}

func readQueueQuery(v url.Values) queueQuery {
	q := queueQuery{
		sub:      portal.SubStatus(strings.TrimSpace(v.Get("sub_status"))),
		account:  norm.Identifier(v.Get("account")),
		assignee: store.QueueAssignee(v.Get("assignee")),
		sort:     store.QueueSort(v.Get("sort")),
		after:    v.Get("after"),
	}
	if !q.sub.Valid() || q.sub.Status() != portal.Open {
		q.sub = ""
	}
	if p, err := strconv.Atoi(v.Get("priority")); err == nil && portal.ValidPriority(p) {
		q.priority = p
	}
	if id, err := strconv.ParseInt(v.Get("product"), 10, 64); err == nil && id > 0 {
		q.product = id
	}
	if !q.assignee.Valid() {
		q.assignee = store.AssigneeAny
	}
	if !q.sort.Valid() {
		q.sort = store.QueueBySortDefault
	}
	switch v.Get("dir") {
	case "asc":
		q.desc = false
	case "desc":
		q.desc = q.sort.Reversible()
	default:
		q.desc = q.sort.DefaultDesc()
	}
	return q
}

// values is q as a query string; defaults are left out, so the plain
// /agent/queue is the default view.
func (q queueQuery) values() url.Values {
	v := url.Values{}
	if q.sub != "" {
		v.Set("sub_status", string(q.sub))
	}
	if q.priority != 0 {
		v.Set("priority", strconv.Itoa(q.priority))
	}
	if q.product != 0 {
		v.Set("product", strconv.FormatInt(q.product, 10))
	}
	if q.account != "" {
		v.Set("account", q.account)
	}
	if q.assignee != store.AssigneeAny {
		v.Set("assignee", string(q.assignee))
	}
	if q.sort != store.QueueBySortDefault {
		v.Set("sort", string(q.sort))
	}
	if q.desc != q.sort.DefaultDesc() {
		if q.desc {
			v.Set("dir", "desc")
		} else {
			v.Set("dir", "asc")
		}
	}
	if q.after != "" {
		v.Set("after", q.after)
	}
	return v
}

func (q queueQuery) url() string {
	if v := q.values(); len(v) > 0 {
		return "/agent/queue?" + v.Encode()
	}
	return "/agent/queue"
}

type queuePage struct {
	Base
	Form      Form // the filter's values, and the bulk form's errors
	Counts    []queueCount
	SubStatus []option
	Priority  []option
	Products  []option
	Assignee  []option
	Sorts     []option
	Dirs      []option
	Agents    []option
	Rows      []template.HTML
	Return    string // the current query string, for the bulk form
	Next      string
	First     string
	Filtered  bool
	Reset     string
}

// option is one <option> of a select.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// queueCount is a sub-status's link with how many open cases it holds.
type queueCount struct {
	Label   string
	Count   string
	URL     string
	Current bool
}

// queueRow is one case of the queue, formatted beforehand (see html).
type queueRow struct {
	Number, Link, Subject, Account, Product string
	Priority, PriorityClass                 string
	State, StateClass                       string
	Assignee                                string
	Unassigned, Mine, Checked               bool
	Age, CreatedISO                         string
	Updated, UpdatedISO                     string
	Due, DueISO                             string
	Overdue, Paused                         bool
}

// agentQueue is the agents' worklist (DESIGN.md flow 12): every open case of
// every organization, filtered and sorted in the URL, 50 a page with keyset
// paging, and assignment from the list.
func (s *Server) agentQueue(w http.ResponseWriter, r *http.Request) error {
	return s.renderQueue(w, r, http.StatusOK, readQueueQuery(r.URL.Query()), Form{}, nil)
}

// renderQueue draws the queue for q; form carries the bulk form's error and
// checked lists the cases to keep ticked.
func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, status int, q queueQuery, form Form, checked map[string]bool) error {
	ctx := r.Context()
	me, l := reqCtx(r).User, reqCtx(r).L
	page := queuePage{Base: s.base(r), Form: form, Return: q.values().Encode()}
	if page.Form.Values == nil {
		page.Form.Values = map[string]string{}
	}
	page.Form.Values["account"] = q.account
	page.Filtered = q.sub != "" || q.priority != 0 || q.product != 0 || q.account != "" || q.assignee != store.AssigneeAny
	page.Reset = "/agent/queue"

	sq := store.QueueQuery{Viewer: me, Sort: q.sort, Desc: q.desc, After: q.after, Filter: store.QueueFilter{
		SubStatus: q.sub, Priority: q.priority, ProductID: q.product, Assignee: q.assignee}}
	unknownAccount := false
	if q.account != "" {
		acc, err := s.store.AccountByIdentifier(ctx, q.account)
		switch {
		case portal.ErrorCode(err) == portal.ENOTFOUND:
			unknownAccount = true
			if page.Form.Errors == nil {
				page.Form.Errors = portal.FieldErrors{}
			}
			page.Form.Errors.Add("account", "queue.account_unknown")
		case err != nil:
			return err
		default:
			sq.Filter.AccountID = acc.ID
		}
	}

	products, err := s.store.Products(ctx)
	if err != nil {
		return err
	}
	agents, err := s.store.AssignableAgents(ctx)
	if err != nil {
		return err
	}
	page.SubStatus = append(page.SubStatus, option{"", l.T("queue.any"), q.sub == ""})
	for _, st := range portal.SubStatuses {
		if st.Status() == portal.Open {
			page.SubStatus = append(page.SubStatus, option{string(st), l.T("substatus." + string(st)), st == q.sub})
		}
	}
	page.Priority = append(page.Priority, option{"", l.T("queue.any"), q.priority == 0})
	for p := 1; p <= 4; p++ {
		page.Priority = append(page.Priority, option{strconv.Itoa(p), l.T("priority." + strconv.Itoa(p)), p == q.priority})
	}
	page.Products = append(page.Products, option{"", l.T("queue.any"), q.product == 0})
	for _, p := range products {
		page.Products = append(page.Products, option{strconv.FormatInt(p.ID, 10), p.Name, p.ID == q.product})
	}
	for _, a := range []struct {
		v   store.QueueAssignee
		key string
	}{{store.AssigneeAny, "queue.assignee_any"}, {store.AssigneeMe, "queue.assignee_me"},
		{store.AssigneeUnassigned, "queue.assignee_unassigned"}} {
		page.Assignee = append(page.Assignee, option{string(a.v), l.T(a.key), a.v == q.assignee})
	}
	for _, so := range []struct {
		v   store.QueueSort
		key string
	}{{store.QueueByPriority, "queue.sort_priority"}, {store.QueueByAge, "queue.sort_age"},
		{store.QueueByUpdated, "queue.sort_updated"}, {store.QueueByDue, "queue.sort_due"}} {
		page.Sorts = append(page.Sorts, option{string(so.v), l.T(so.key), so.v == q.sort})
	}
	page.Dirs = []option{{"asc", l.T("queue.dir_asc"), !q.desc}, {"desc", l.T("queue.dir_desc"), q.desc}}
	page.Agents = append(page.Agents, option{"me", l.T("queue.agent_me"), page.Form.Get("agent") == "" || page.Form.Get("agent") == "me"})
	for _, a := range agents {
		if a.ID != me.ID {
			id := strconv.FormatInt(a.ID, 10)
			page.Agents = append(page.Agents, option{id, a.Name, page.Form.Get("agent") == id})
		}
	}
	if unknownAccount {
		return s.render(w, r, status, "agent_queue", page)
	}

	counts, err := s.store.QueueCounts(ctx, sq)
	if err != nil {
		return err
	}
	all := q
	all.sub, all.after = "", ""
	page.Counts = append(page.Counts, queueCount{Label: l.T("queue.all_open"), URL: all.url(), Current: q.sub == ""})
	for _, st := range portal.SubStatuses {
		if st.Status() != portal.Open {
			continue
		}
		to := q
		to.sub, to.after = st, ""
		page.Counts = append(page.Counts, queueCount{Label: l.T("substatus." + string(st)),
			Count: queueCountText(l, counts[st]), URL: to.url(), Current: st == q.sub})
	}

	list, err := s.store.Queue(ctx, sq)
	if portal.ErrorCode(err) == portal.EINVALID && q.after != "" {
		// A cursor from another order or a mangled link: start over.
		first := q
		first.after = ""
		return seeOther(w, r, first.url())
	}
	if err != nil {
		return err
	}
	if list.Next != "" {
		next := q
		next.after = list.Next
		page.Next = next.url()
	}
	if q.after != "" {
		first := q
		first.after = ""
		page.First = first.url()
	}
	tz, now := userTZ(me), s.now()
	unassigned, portalName := l.T("queue.unassigned"), l.T("case_list.portal")
	assignLabel, overdue, paused := l.T("queue.assign_me"), l.T("sla.overdue"), l.T("queue.paused")
	selectLabel := l.T("queue.select")
	page.Rows = make([]template.HTML, 0, len(list.Rows))
	for _, c := range list.Rows {
		row := queueRow{
			Number:     c.Number,
			Link:       casePath(c.Number),
			Subject:    c.Subject,
			Account:    c.AccountName,
			Product:    c.ProductName,
			Priority:   l.T("priority." + strconv.Itoa(c.Priority)),
			State:      l.T("substatus." + string(c.SubStatus)),
			StateClass: caseListStateClass(c.SubStatus),
			Assignee:   c.AssignedName,
			Unassigned: c.AssignedTo == 0,
			Mine:       c.AssignedTo == me.ID,
			Checked:    checked[c.Number],
			Age:        l.Ago(c.CreatedAt, now),
			CreatedISO: c.CreatedAt.UTC().Format(time.RFC3339),
			Updated:    l.DateTime(c.UpdatedAt, tz),
			UpdatedISO: c.UpdatedAt.UTC().Format(time.RFC3339),
			Paused:     c.Paused,
		}
		if row.Product == "" && c.HelpType == portal.HelpPortal {
			row.Product = portalName
		}
		if row.Unassigned {
			row.Assignee = unassigned
		}
		row.PriorityClass = "badge badge--muted"
		if c.Priority <= portal.PriorityHigh {
			row.PriorityClass = "badge badge--warn"
		}
		if c.ResponseDue != nil {
			row.Due = l.DateTime(*c.ResponseDue, tz) + " (" + untilOrAgo(l, *c.ResponseDue, now) + ")"
			row.DueISO = c.ResponseDue.UTC().Format(time.RFC3339)
			row.Overdue = !c.ResponseDue.After(now)
		}
		page.Rows = append(page.Rows, row.html(selectLabel, assignLabel, overdue, paused))
	}
	return s.render(w, r, status, "agent_queue", page)
}

// queueCountText writes a bounded count: past the cap, "100+".
func queueCountText(l *i18n.Localizer, n int) string {
	if n > store.QueueCountCap {
		return l.T("queue.count_more", "Cap", formatThousands(store.QueueCountCap))
	}
	return formatThousands(n)
}

func formatThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// html writes the row's cells, every value escaped, standing for:
//
//	<td><input type="checkbox" name="case" value="{{.Number}}" aria-label="{{select}} {{.Number}}"{{if .Checked}} checked{{end}}></td>
//	<th scope="row"><a href="{{.Link}}">{{.Number}}</a></th>
//	<td>{{.Subject}}</td> <td>{{.Account}}</td> <td>{{.Product}}</td>
//	<td><span class="{{.PriorityClass}}">{{.Priority}}</span></td>
//	<td><span class="{{.StateClass}}">{{.State}}</span></td>
//	<td{{if .Unassigned}} class="hint"{{end}}>{{.Assignee}}</td>
//	<td><time datetime="{{.CreatedISO}}">{{.Age}}</time></td>
//	<td><time datetime="{{.UpdatedISO}}">{{.Updated}}</time></td>
//	<td>{{if .Due}}<time datetime="{{.DueISO}}">{{.Due}}</time>{{if .Overdue}} <span class="badge badge--warn">{{overdue}}</span>{{end}}{{else if .Paused}}<span class="hint">{{paused}}</span>{{end}}</td>
//	<td>{{if not .Mine}}<button type="submit" name="one" value="{{.Number}}" class="link-button">{{assign}}</button>{{end}}</td>
func (row queueRow) html(selectLabel, assign, overdue, paused string) template.HTML {
	var b htmlBuilder
	b.Grow(1024 + len(row.Subject))
	raw, esc := b.raw, b.esc
	raw(`<td><input type="checkbox" name="case" value="`)
	esc(row.Number)
	raw(`" aria-label="`)
	esc(selectLabel + " " + row.Number)
	raw(`"`)
	if row.Checked {
		raw(` checked`)
	}
	raw(`></td><th scope="row"><a href="`)
	esc(row.Link)
	raw(`">`)
	esc(row.Number)
	raw(`</a></th><td>`)
	esc(row.Subject)
	raw(`</td><td>`)
	esc(row.Account)
	raw(`</td><td>`)
	esc(row.Product)
	raw(`</td><td><span class="`)
	esc(row.PriorityClass)
	raw(`">`)
	esc(row.Priority)
	raw(`</span></td><td><span class="`)
	esc(row.StateClass)
	raw(`">`)
	esc(row.State)
	raw(`</span></td><td`)
	if row.Unassigned {
		raw(` class="hint"`)
	}
	raw(`>`)
	esc(row.Assignee)
	raw(`</td><td><time datetime="`)
	esc(row.CreatedISO)
	raw(`">`)
	esc(row.Age)
	raw(`</time></td><td><time datetime="`)
	esc(row.UpdatedISO)
	raw(`">`)
	esc(row.Updated)
	raw(`</time></td><td>`)
	if row.Due != "" {
		raw(`<time datetime="`)
		esc(row.DueISO)
		raw(`">`)
		esc(row.Due)
		raw(`</time>`)
		if row.Overdue {
			raw(` <span class="badge badge--warn">`)
			esc(overdue)
			raw(`</span>`)
		}
	} else if row.Paused {
		raw(`<span class="hint">`)
		esc(paused)
		raw(`</span>`)
	}
	raw(`</td><td>`)
	if !row.Mine {
		raw(`<button type="submit" name="one" value="`)
		esc(row.Number)
		raw(`" class="link-button">`)
		esc(assign)
		raw(`</button>`)
	}
	raw(`</td>`)
	return b.HTML()
}

// queueAssignMax bounds one bulk assignment: a page holds 50 cases.
const queueAssignMax = 100

// queueAssign assigns the ticked cases (or the one whose "Assign to me"
// button was pressed) and goes back to the same filtered queue. Fields:
// case (repeated case numbers), agent ("me" or an agent's id), one (a single
// case to take), return (the queue's query string).
func (s *Server) queueAssign(w http.ResponseWriter, r *http.Request) error {
	me, ip := reqCtx(r).User, reqCtx(r).IP
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	ret, _ := url.ParseQuery(r.PostForm.Get("return"))
	q := readQueueQuery(ret)
	numbers := r.PostForm["case"]
	agent := strings.TrimSpace(r.PostForm.Get("agent"))
	if one := strings.TrimSpace(r.PostForm.Get("one")); one != "" {
		numbers, agent = []string{one}, "me"
	}
	form := Form{Values: map[string]string{"agent": agent}, Errors: portal.FieldErrors{}}
	checked := map[string]bool{}
	for _, n := range numbers {
		checked[n] = true
	}
	agentID := me.ID
	if agent != "me" && agent != "" {
		id, err := strconv.ParseInt(agent, 10, 64)
		if err != nil {
			form.Errors.Add("agent", "case_act.agent_invalid")
		}
		agentID = id
	}
	switch {
	case len(numbers) == 0:
		form.Errors.Add("case", "queue.none_selected")
	case len(numbers) > queueAssignMax:
		form.Errors.Add("case", "queue.too_many")
	}
	if len(form.Errors) > 0 {
		return s.renderQueue(w, r, http.StatusUnprocessableEntity, q, form, checked)
	}
	n, err := s.store.AssignCases(r.Context(), numbers, store.AssignRequest{Actor: me, AgentID: agentID, IP: ip})
	var pe *portal.Error
	if errors.As(err, &pe) && pe.Field != "" {
		form.Errors.Add(pe.Field, pe.Message)
		return s.renderQueue(w, r, http.StatusUnprocessableEntity, q, form, checked)
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), "flash", queueAssignedFlash(n, len(numbers)))
	return seeOther(w, r, q.url())
}

// queueAssignedFlash says how it went: all assigned, some skipped (closed
// or gone since the list was drawn), or none.
func queueAssignedFlash(assigned, asked int) string {
	switch {
	case assigned == 0:
		return "queue.assigned_none"
	case assigned < asked:
		return "queue.assigned_some"
	}
	return "queue.assigned_all"
}
