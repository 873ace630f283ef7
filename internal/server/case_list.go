package server

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

type caseListPage struct {
	Base
	Lead     string
	Admin    bool // shows who opened each case
	States   []caseListLink
	Columns  map[string]caseListColumn // number, priority, updated
	Rows     []template.HTML           // the cells of each row (caseListRow.html)
	Next     string
	First    string // set past the first page
	EmptyKey string
}

type caseListLink struct {
	Label   string
	URL     string
	Current bool
}

// caseListColumn is a sortable column's header link; Sort is its aria-sort
// value when the list is sorted by it.
type caseListColumn struct {
	URL  string
	Sort string
}

// caseListRow is one case, its values formatted beforehand: template
// actions cost more than the query on this page.
type caseListRow struct {
	Number        string
	Link          string
	Product       string
	Subject       string
	Priority      string
	PriorityClass string
	State         string
	StateClass    string
	Account       string
	OpenedBy      string
	Updated       string
	UpdatedISO    string
}

// caseListQuery is a list's query string, read leniently: an unknown value
// means the default.
type caseListQuery struct {
	state store.CaseState
	sort  store.CaseSort
	desc  bool
	after string
}

func readCaseListQuery(q url.Values) caseListQuery {
	lq := caseListQuery{state: store.CaseState(q.Get("state")), sort: store.CaseSort(q.Get("sort")), after: q.Get("after")}
	if !lq.state.Valid() {
		lq.state = store.StateOpen
	}
	if !lq.sort.Valid() {
		lq.sort = store.SortUpdated
	}
	switch q.Get("dir") {
	case "asc":
		lq.desc = false
	case "desc":
		lq.desc = true
	default:
		lq.desc = lq.sort.DefaultDesc()
	}
	return lq
}

// url is the list's address with q's choices; defaults are left out, so the
// plain /cases is the default view.
func (q caseListQuery) url() string {
	v := url.Values{}
	if q.state != store.StateOpen {
		v.Set("state", string(q.state))
	}
	if q.sort != store.SortUpdated {
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
	if len(v) == 0 {
		return "/cases"
	}
	return "/cases?" + v.Encode()
}

// caseList is "My cases" (DESIGN.md flow 8): a contact's own cases and those
// they are CC'd on; an account administrator's organization's cases, with
// who opened each. Keyset paging, 50 a page.
func (s *Server) caseList(w http.ResponseWriter, r *http.Request) error {
	u := reqCtx(r).User
	l := reqCtx(r).L
	q := readCaseListQuery(r.URL.Query())
	list, err := s.store.ListCases(r.Context(), store.CaseListQuery{
		Viewer: u, State: q.state, Sort: q.sort, Desc: q.desc, After: q.after,
	})
	if err != nil {
		return err
	}
	page := caseListPage{Base: s.base(r), Admin: u.IsAccountAdmin, Columns: map[string]caseListColumn{}}
	if u.IsAccountAdmin {
		page.Lead = l.T("case_list.lead_admin", "Account", u.AccountName)
	} else {
		page.Lead = l.T("case_list.lead")
	}
	for _, f := range []struct {
		state store.CaseState
		label string
	}{
		{store.StateOpen, "case_list.state_open"},
		{store.StateClosed, "case_list.state_closed"},
		{store.StateAll, "case_list.state_all"},
	} {
		to := caseListQuery{state: f.state, sort: q.sort, desc: q.desc}
		page.States = append(page.States, caseListLink{Label: l.T(f.label), URL: to.url(), Current: f.state == q.state})
	}
	for _, sort := range []store.CaseSort{store.SortNumber, store.SortPriority, store.SortUpdated} {
		to := caseListQuery{state: q.state, sort: sort, desc: sort.DefaultDesc()}
		col := caseListColumn{}
		if sort == q.sort {
			// The sorted column's link turns the order round.
			to.desc = !q.desc
			col.Sort = "ascending"
			if q.desc {
				col.Sort = "descending"
			}
		}
		col.URL = to.url()
		page.Columns[string(sort)] = col
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
	page.EmptyKey = "case_list.empty_" + string(q.state)

	tz := userTZ(u)
	portalName := l.T("case_list.portal")
	page.Rows = make([]template.HTML, 0, len(list.Cases))
	for _, c := range list.Cases {
		row := caseListRow{
			Number:     c.Number,
			Link:       "/cases/" + c.Number,
			Product:    c.ProductName,
			Subject:    c.Subject,
			Priority:   l.T("priority." + strconv.Itoa(c.Priority)),
			State:      l.T("substatus." + string(c.SubStatus)),
			StateClass: caseListStateClass(c.SubStatus),
			Account:    c.AccountName,
			OpenedBy:   c.OpenedByName,
			Updated:    l.DateTime(c.UpdatedAt, tz),
			UpdatedISO: c.UpdatedAt.UTC().Format(time.RFC3339),
		}
		if row.Product == "" && c.HelpType == portal.HelpPortal {
			row.Product = portalName
		}
		// Badges keep "3 - Moderate" on one line; the urgent ones stand out.
		row.PriorityClass = "badge badge--muted"
		if c.Priority <= portal.PriorityHigh {
			row.PriorityClass = "badge badge--warn"
		}
		page.Rows = append(page.Rows, row.html(u.IsAccountAdmin))
	}
	return s.render(w, r, http.StatusOK, "cases", page)
}

// caseListStateClass is the badge of a sub-status: waiting on the customer
// stands out, closed recedes.
func caseListStateClass(st portal.SubStatus) string {
	switch {
	case st.Status() == portal.Closed:
		return "badge badge--muted"
	case st.WaitingOnCustomer():
		return "badge badge--warn"
	}
	return "badge"
}

// onlyCustomers answers 403 to staff on the customers' case pages.
func (s *Server) onlyCustomers(next http.Handler) http.Handler {
	return s.requireRole(portal.RoleCustomer)(next)
}
