package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// clList returns the numbers of every case viewer sees with q (all pages).
func clList(tb testing.TB, s *store.Store, q store.CaseListQuery) []string {
	tb.Helper()
	var out []string
	for range 100 {
		page, err := s.ListCases(context.Background(), q)
		if err != nil {
			tb.Fatal(err)
		}
		for _, c := range page.Cases {
			out = append(out, c.Number)
		}
		if page.Next == "" {
			return out
		}
		q.After = page.Next
	}
	tb.Fatal("more than 100 pages")
	return nil
}

func clClose(tb testing.TB, s *store.Store, c *portal.Case) {
	tb.Helper()
	if _, err := s.Pool().Exec(context.Background(), `UPDATE cases SET status = 'closed', sub_status = 'resolved',
		closed_at = now() WHERE id = $1`, c.ID); err != nil {
		tb.Fatal(err)
	}
}

// clTouch sets a case's last update, as a comment would.
func clTouch(tb testing.TB, s *store.Store, id int64, at time.Time) {
	tb.Helper()
	if _, err := s.Pool().Exec(context.Background(), `UPDATE cases SET updated_at = $2, version = version + 1 WHERE id = $1`,
		id, at); err != nil {
		tb.Fatal(err)
	}
}

func clSorted(numbers []string) []string {
	out := slices.Clone(numbers)
	sort.Strings(out)
	return out
}

func TestStore_ListCases_Visibility(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acme := rgAccount(t, s, "Acme")
	beta := rgAccount(t, s, "Beta")
	taro := rgUser(t, s, acme.ID, "taro@acme.example")
	jiro := rgUser(t, s, acme.ID, "jiro@acme.example")
	admin := rgUser(t, s, acme.ID, "admin@acme.example", rgAdmin)
	ben := rgUser(t, s, beta.ID, "ben@beta.example")

	var taroOwn, jiroOwn, benOwn []string
	for i := range 4 {
		taroOwn = append(taroOwn, clCase(t, s, taro, fmt.Sprintf("taro %d", i)).Number)
	}
	// Taro CC'd on his own case: listed once.
	taroOwn = append(taroOwn, clCase(t, s, taro, "taro cc self", func(nc *store.NewCase) { nc.CC = []string{taro.Email} }).Number)
	jiroPlain := clCase(t, s, jiro, "jiro plain")
	jiroCC := clCase(t, s, jiro, "jiro cc taro", func(nc *store.NewCase) { nc.CC = []string{"taro@acme.example"} })
	jiroOwn = append(jiroOwn, jiroPlain.Number, jiroCC.Number)
	benCCTaro := clCase(t, s, ben, "ben cc taro", func(nc *store.NewCase) { nc.CC = []string{"x@beta.example", "taro@acme.example"} })
	benCCAdmin := clCase(t, s, ben, "ben cc admin", func(nc *store.NewCase) { nc.CC = []string{"admin@acme.example"} })
	benPlain := clCase(t, s, ben, "ben plain")
	benOwn = append(benOwn, benCCTaro.Number, benCCAdmin.Number, benPlain.Number)
	adminOwn := clCase(t, s, admin, "admin own")

	all := func(u *portal.User) []string {
		return clSorted(clList(t, s, store.CaseListQuery{Viewer: u, State: store.StateAll}))
	}
	want := func(parts ...[]string) []string { return clSorted(slices.Concat(parts...)) }

	if got, w := all(taro), want(taroOwn, []string{jiroCC.Number, benCCTaro.Number}); !slices.Equal(got, w) {
		t.Errorf("contact sees %v, want own and CC'd (any organization) %v", got, w)
	}
	if got, w := all(jiro), want(jiroOwn); !slices.Equal(got, w) {
		t.Errorf("contact sees %v, want only own %v", got, w)
	}
	if got, w := all(admin), want(taroOwn, jiroOwn, []string{adminOwn.Number, benCCAdmin.Number}); !slices.Equal(got, w) {
		t.Errorf("account administrator sees %v, want the organization's and CC'd %v", got, w)
	}
	if got, w := all(ben), want(benOwn); !slices.Equal(got, w) {
		t.Errorf("other organization sees %v, want %v", got, w)
	}

	// The summary fields are filled.
	page, err := s.ListCases(ctx, store.CaseListQuery{Viewer: admin, State: store.StateAll, Sort: store.SortNumber})
	if err != nil {
		t.Fatal(err)
	}
	first := page.Cases[0]
	if first.Number != taroOwn[0] || first.AccountName != "Acme" || first.OpenedByName != taro.Name ||
		first.Subject != "taro 0" || first.SubStatus != portal.SubNew || first.Priority != 3 || first.UpdatedAt.IsZero() {
		t.Errorf("first row = %+v", first)
	}

	if _, err := s.ListCases(ctx, store.CaseListQuery{Viewer: rgUser(t, s, 0, "agent@vendor.example")}); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("staff viewer: err = %v, want EINVALID", err)
	}
}

func TestStore_ListCases_State(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	u := rgUser(t, s, acc.ID, "taro@acme.example")
	var open, closed []string
	for i := range 6 {
		c := clCase(t, s, u, fmt.Sprint("case ", i))
		if i%3 == 0 {
			clClose(t, s, c)
			closed = append(closed, c.Number)
		} else {
			open = append(open, c.Number)
		}
	}
	for _, sort := range []store.CaseSort{store.SortUpdated, store.SortNumber, store.SortPriority} {
		for _, tc := range []struct {
			state store.CaseState
			want  []string
		}{
			{store.StateOpen, open},
			{store.StateClosed, closed},
			{store.StateAll, slices.Concat(open, closed)},
			{"", open}, // the default
		} {
			got := clList(t, s, store.CaseListQuery{Viewer: u, State: tc.state, Sort: sort, Limit: 2})
			if !slices.Equal(clSorted(got), clSorted(tc.want)) {
				t.Errorf("sort %s, state %q: %v, want %v", sort, tc.state, got, tc.want)
			}
		}
	}
}

func TestStore_ListCases_SortAndPaging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	admin := rgUser(t, s, acc.ID, "admin@acme.example", rgAdmin)
	other := rgUser(t, s, acc.ID, "jiro@acme.example")
	ben := rgUser(t, s, rgAccount(t, s, "Beta").ID, "ben@beta.example")

	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	type row struct {
		id       int64
		number   string
		priority int
		updated  time.Time
		closed   bool
	}
	rows := map[string]*row{}
	for i := range 23 {
		opener := admin
		if i%3 == 1 {
			opener = other
		}
		c := clCase(t, s, opener, fmt.Sprint("case ", i), func(nc *store.NewCase) { nc.Priority = 1 + i*7%4 })
		// Several cases share an update time: the id breaks the tie.
		at := base.Add(time.Duration(i/3) * time.Hour)
		clTouch(t, s, c.ID, at)
		r := &row{id: c.ID, number: c.Number, priority: c.Priority, updated: at}
		if i%5 == 0 {
			clClose(t, s, c)
			r.closed = true
		}
		rows[c.Number] = r
	}
	// A case of another organization the administrator is CC'd on joins the
	// list through the CC branch.
	cc := clCase(t, s, ben, "cc", func(nc *store.NewCase) { nc.CC = []string{admin.Email}; nc.Priority = 2 })
	clTouch(t, s, cc.ID, base.Add(90*time.Minute))
	rows[cc.Number] = &row{id: cc.ID, number: cc.Number, priority: 2, updated: base.Add(90 * time.Minute)}

	// less reports whether a comes before b in the order.
	less := func(sort store.CaseSort, desc bool, a, b *row) bool {
		var c int
		switch sort {
		case store.SortNumber:
			c = strings.Compare(a.number, b.number)
		case store.SortPriority:
			if c = a.priority - b.priority; c == 0 {
				c = int(a.id - b.id)
			}
		default:
			if c = a.updated.Compare(b.updated); c == 0 {
				c = int(a.id - b.id)
			}
		}
		if desc {
			return c > 0
		}
		return c < 0
	}

	for _, sort := range []store.CaseSort{store.SortUpdated, store.SortNumber, store.SortPriority} {
		for _, desc := range []bool{true, false} {
			for _, state := range []store.CaseState{store.StateAll, store.StateOpen} {
				name := fmt.Sprintf("%s/desc=%v/%s", sort, desc, state)
				t.Run(name, func(t *testing.T) {
					var want []*row
					for _, r := range rows {
						if state == store.StateAll || !r.closed {
							want = append(want, r)
						}
					}
					slices.SortFunc(want, func(a, b *row) int {
						if less(sort, desc, a, b) {
							return -1
						}
						return 1
					})
					q := store.CaseListQuery{Viewer: admin, State: state, Sort: sort, Desc: desc, Limit: 4}
					var got []string
					for pages := 0; ; pages++ {
						page, err := s.ListCases(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						if len(page.Cases) > 4 || (page.Next != "" && len(page.Cases) != 4) {
							t.Fatalf("page %d has %d rows, next %q", pages, len(page.Cases), page.Next)
						}
						for _, c := range page.Cases {
							got = append(got, c.Number)
						}
						if page.Next == "" {
							break
						}
						q.After = page.Next
					}
					var wantNumbers []string
					for _, r := range want {
						wantNumbers = append(wantNumbers, r.number)
					}
					if !slices.Equal(got, wantNumbers) {
						t.Errorf("paged through %v\nwant          %v", got, wantNumbers)
					}
				})
			}
		}
	}

	// While someone pages, cases are commented on (their update time moves
	// to now). The number and priority orders do not depend on it, so every
	// case is listed exactly once; by last update (newest first), an updated
	// case moves ahead of the cursor: it is never listed twice, and every
	// case not updated meanwhile is still listed.
	t.Run("UpdatesBetweenPages", func(t *testing.T) {
		now := base.Add(48 * time.Hour) // later than any update so far, and rising
		for _, sort := range []store.CaseSort{store.SortNumber, store.SortPriority, store.SortUpdated} {
			for _, desc := range []bool{true, false} {
				if sort == store.SortUpdated && !desc {
					continue // below
				}
				q := store.CaseListQuery{Viewer: admin, State: store.StateAll, Sort: sort, Desc: desc, Limit: 5}
				seen := map[string]int{}
				touched := map[string]bool{}
				for pages := 0; ; pages++ {
					page, err := s.ListCases(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range page.Cases {
						seen[c.Number]++
					}
					if page.Next == "" {
						break
					}
					q.After = page.Next
					// Touch one case already listed and one not yet listed.
					for _, r := range rows {
						if seen[r.number] > 0 == (len(touched)%2 == 0) && !touched[r.number] {
							now = now.Add(time.Minute)
							clTouch(t, s, r.id, now)
							touched[r.number] = true
							break
						}
					}
				}
				for n := range rows {
					switch {
					case seen[n] > 1:
						t.Errorf("%s desc=%v: %s listed %d times", sort, desc, n, seen[n])
					case seen[n] == 0 && (sort != store.SortUpdated || !touched[n]):
						t.Errorf("%s desc=%v: %s never listed", sort, desc, n)
					}
				}
			}
		}
	})

	// Oldest update first, a case updated after it was listed has moved to
	// the end and is listed again there, with its new time; the others are
	// listed once each.
	t.Run("UpdatedAscendingMovesToEnd", func(t *testing.T) {
		q := store.CaseListQuery{Viewer: admin, State: store.StateAll, Sort: store.SortUpdated, Desc: false, Limit: 5}
		page, err := s.ListCases(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		moved := page.Cases[0]
		clTouch(t, s, moved.ID, base.Add(100*24*time.Hour))
		got := []string{}
		for _, c := range page.Cases {
			got = append(got, c.Number)
		}
		q.After = page.Next
		got = append(got, clList(t, s, q)...)
		if got[len(got)-1] != moved.Number || len(got) != len(rows)+1 {
			t.Errorf("listed %v; want %s again at the end", got, moved.Number)
		}
	})

	t.Run("BadCursor", func(t *testing.T) {
		page, err := s.ListCases(ctx, store.CaseListQuery{Viewer: admin, State: store.StateAll, Sort: store.SortNumber, Limit: 3})
		if err != nil || page.Next == "" {
			t.Fatalf("page = %+v, %v", page, err)
		}
		for _, q := range []store.CaseListQuery{
			{After: "not base64!"},
			{After: "eHl6"},                                        // "xyz"
			{After: page.Next, Sort: store.SortUpdated},            // another order's cursor
			{After: page.Next, Sort: store.SortNumber, Desc: true}, // another direction's
		} {
			q.Viewer = admin
			if _, err := s.ListCases(ctx, q); portal.ErrorCode(err) != portal.EINVALID {
				t.Errorf("cursor %q (%s): err = %v, want EINVALID", q.After, q.Sort, err)
			}
		}
		// A cursor of another person's list only moves the start: the
		// viewer still sees only their own cases.
		got := clList(t, s, store.CaseListQuery{Viewer: ben, State: store.StateAll, Sort: store.SortNumber, After: page.Next})
		if len(got) != 0 && !slices.Equal(got, []string{cc.Number}) {
			t.Errorf("with another list's cursor ben sees %v", got)
		}
	})
}
