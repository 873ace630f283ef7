package server

import (
	"html/template"
	"strings"
	"testing"
)

// caseListRow.html writes what html/template would from the same row.
func TestCaseListRowHTML(t *testing.T) {
	tmpl := template.Must(template.New("row").Parse(`<th scope="row"><a href="{{.Link}}">{{.Number}}</a></th>` +
		`<td>{{.Product}}</td><td>{{.Subject}}</td>` +
		`<td><span class="{{.PriorityClass}}">{{.Priority}}</span></td>` +
		`<td><span class="{{.StateClass}}">{{.State}}</span></td>` +
		`<td>{{.Account}}</td>{{if .Admin}}<td>{{.OpenedBy}}</td>{{end}}` +
		`<td><time datetime="{{.UpdatedISO}}">{{.Updated}}</time></td>`))
	evil := `<script>alert("x")</script> & 'q' <b>`
	for _, row := range []caseListRow{
		{Number: "CS0000123", Link: "/cases/CS0000123", Product: "SecureGate", Subject: "VPN が切断される",
			Priority: "3 - 中", PriorityClass: "badge badge--muted", State: "対応中", StateClass: "badge badge--ok",
			Account: "株式会社テスト", OpenedBy: "山田 太郎", Updated: "2026年11月22日 15:04", UpdatedISO: "2026-11-22T06:04:00Z"},
		{Number: "CS0000124", Link: "/cases/CS0000124", Product: evil, Subject: evil, Priority: evil, State: evil,
			Account: evil, OpenedBy: evil, Updated: evil, UpdatedISO: "2026-11-22T06:04:00Z",
			PriorityClass: "badge", StateClass: "badge"},
	} {
		for _, admin := range []bool{false, true} {
			var want strings.Builder
			if err := tmpl.Execute(&want, struct {
				caseListRow
				Admin bool
			}{row, admin}); err != nil {
				t.Fatal(err)
			}
			got := string(row.html(admin))
			if sameEscaping(got) != sameEscaping(want.String()) {
				t.Errorf("admin %v:\n got %s\nwant %s", admin, got, want.String())
			}
			if strings.Contains(got, "<script>") || strings.Contains(got, "<b>") {
				t.Errorf("markup passed through: %s", got)
			}
		}
	}
}

// caseEventView.html writes what html/template would from the same entry,
// up to the white space between elements.
func TestCaseEventHTML(t *testing.T) {
	tmpl := template.Must(template.New("event").Parse(`<li class="{{.Class}}" id="event-{{.ID}}">` +
		`<p class="event__head"><strong>{{.Title}}</strong>` +
		`{{if .Internal}} <span class="badge badge--warn">{{.InternalBadge}}</span>{{else if .Staff}} <span class="badge badge--ok">{{.StaffBadge}}</span>{{end}}` +
		` <time datetime="{{.ISO}}">{{.At}}</time> <span class="hint">{{.Ago}}</span></p>` +
		`{{if .Status}}<p class="event__status">{{.Status}}</p>{{end}}` +
		`{{if .Lines}}<div class="event__body">{{range $i, $l := .Lines}}{{if $i}}<br>{{end}}{{$l}}{{end}}</div>{{end}}` +
		`{{if .Link}}<p><a href="{{.Link}}">{{.Number}}</a></p>{{end}}` +
		`{{if .Files}}<ul class="event__files">{{range .Files}}<li><a href="{{.Link}}" download>{{.Name}}</a> <span class="hint">{{.Size}}</span></li>{{end}}</ul>{{end}}` +
		`</li>`))
	evil := `<script>alert("x")</script> & 'q' <b>`
	base := caseEventView{ID: 7, Class: "event event--comment", Title: "山田 太郎 さんがコメントしました",
		At: "2026年11月22日 15:04", ISO: "2026-11-22T06:04:00Z", Ago: "3 分前"}
	plain := base
	staff := base
	staff.Staff, staff.Lines = true, []string{"ログを確認しました。", "", evil}
	internal := base
	internal.Internal, internal.Staff, internal.Class = true, true, "event event--internal_note event--internal"
	internal.Status = evil
	files := base
	files.Title, files.Lines = evil, []string{evil}
	files.Files = []caseFileView{{Name: "ログ.txt", Size: "81 B", Link: "/cases/CS0000001/attachments/1"},
		{Name: evil, Size: "2 MB", Link: "/cases/CS0000001/attachments/2"}}
	follow := base
	follow.Link, follow.Number = "/cases/CS0000002", "CS0000002"
	for _, v := range []caseEventView{plain, staff, internal, files, follow} {
		var want strings.Builder
		if err := tmpl.Execute(&want, struct {
			caseEventView
			InternalBadge, StaffBadge string
		}{v, "社内", "サポート"}); err != nil {
			t.Fatal(err)
		}
		got := string(v.html("社内", "サポート"))
		if sameEscaping(got) != sameEscaping(want.String()) {
			t.Errorf("\n got %s\nwant %s", got, want.String())
		}
		if strings.Contains(got, "<script>") || strings.Contains(got, "<b>") {
			t.Errorf("markup passed through: %s", got)
		}
	}
}

// sameEscaping makes the two escapings comparable: html/template writes
// &#43; for '+' in attributes and may spell quotes differently.
func sameEscaping(s string) string {
	return strings.NewReplacer("&#43;", "+", "&quot;", "&#34;", "&apos;", "&#39;").Replace(s)
}

// queueRow.html writes what html/template would from the same row.
func TestQueueRowHTML(t *testing.T) {
	tmpl := template.Must(template.New("row").Parse(
		`<td><input type="checkbox" name="case" value="{{.Number}}" aria-label="{{.Select}} {{.Number}}"{{if .Checked}} checked{{end}}></td>` +
			`<th scope="row"><a href="{{.Link}}">{{.Number}}</a></th>` +
			`<td>{{.Subject}}</td><td>{{.Account}}</td><td>{{.Product}}</td>` +
			`<td><span class="{{.PriorityClass}}">{{.Priority}}</span></td>` +
			`<td><span class="{{.StateClass}}">{{.State}}</span></td>` +
			`<td{{if .Unassigned}} class="hint"{{end}}>{{.Assignee}}</td>` +
			`<td><time datetime="{{.CreatedISO}}">{{.Age}}</time></td>` +
			`<td><time datetime="{{.UpdatedISO}}">{{.Updated}}</time></td>` +
			`<td>{{if .Due}}<time datetime="{{.DueISO}}">{{.Due}}</time>{{if .Overdue}} <span class="badge badge--warn">{{.OverdueLabel}}</span>{{end}}{{else if .Paused}}<span class="hint">{{.PausedLabel}}</span>{{end}}</td>` +
			`<td>{{if not .Mine}}<button type="submit" name="one" value="{{.Number}}" class="link-button">{{.Assign}}</button>{{end}}</td>`))
	evil := `<script>alert("x")</script> & 'q' <b>`
	base := queueRow{Number: "CS0000123", Link: "/cases/CS0000123", Subject: "VPN が切断される", Account: "株式会社テスト",
		Product: "SecureGate", Priority: "1 - 緊急", PriorityClass: "badge badge--warn", State: "受付済み", StateClass: "badge",
		Assignee: "未割り当て", Unassigned: true, Age: "3 時間前", CreatedISO: "2026-11-22T03:04:00Z",
		Updated: "2026年11月22日 15:04", UpdatedISO: "2026-11-22T06:04:00Z"}
	due := base
	due.Due, due.DueISO, due.Overdue, due.Checked = "2026年11月22日 16:04（1 時間前）", "2026-11-22T07:04:00Z", true, true
	mine := base
	mine.Mine, mine.Unassigned, mine.Assignee, mine.Paused = true, false, "山田 花子", true
	bad := queueRow{Number: "CS0000124", Link: "/cases/CS0000124", Subject: evil, Account: evil, Product: evil, Priority: evil,
		State: evil, Assignee: evil, Age: evil, Updated: evil, Due: evil, PriorityClass: "badge", StateClass: "badge"}
	for _, row := range []queueRow{base, due, mine, bad} {
		var want strings.Builder
		if err := tmpl.Execute(&want, struct {
			queueRow
			Select, Assign, OverdueLabel, PausedLabel string
		}{row, "選択", "自分に割り当て", "期限超過", evil}); err != nil {
			t.Fatal(err)
		}
		got := string(row.html("選択", "自分に割り当て", "期限超過", evil))
		if sameEscaping(got) != sameEscaping(want.String()) {
			t.Errorf("\n got %s\nwant %s", got, want.String())
		}
		if strings.Contains(got, "<script>") || strings.Contains(got, "<b>") {
			t.Errorf("markup passed through: %s", got)
		}
	}
}
