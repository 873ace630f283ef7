package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
)

func rtContactPath(u *apptest.TestUser, action string) string {
	return fmt.Sprintf("/account/contacts/%d/%s", u.ID, action)
}

func rtAuditHas(t *testing.T, in *apptest.Instance, accountID int64, action string, target int64) bool {
	t.Helper()
	entries, err := in.Store.AuditLog(context.Background(), accountID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action && e.TargetUserID == target {
			return true
		}
	}
	return false
}

func TestContacts_Access(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true})

	rtExpect(t, "GET /account/contacts signed out", in.Client(t).Get("/account/contacts"), 303,
		"/login?next="+url.QueryEscape("/account/contacts"))
	for _, u := range []*apptest.TestUser{org.approver, agent} {
		c := in.Client(t)
		in.SignIn(t, c, u)
		rtExpect(t, "GET /account/contacts as "+string(u.Role), c.Get("/account/contacts"), 403, "")
		rtExpect(t, "POST invite as "+string(u.Role), c.PostForm("/account/contacts/invite",
			url.Values{"name": {"X"}, "email": {"x@acme.example"}}), 403, "")
		rtExpect(t, "POST disable as "+string(u.Role), c.PostForm(rtContactPath(org.admin, "disable"), nil), 403, "")
	}

	c := in.Client(t)
	in.SignIn(t, c, org.admin)
	r := c.Get("/account/contacts")
	rtExpect(t, "GET /account/contacts", r, 200, "")
	rtContains(t, "the contacts page", r.Body, org.approver.Email, org.admin.Email, rtText("en", "contacts.role_approver"),
		rtText("en", "contacts.status_active"), rtText("en", "contacts.mfa_paired", "Method", rtText("en", "register.otp_email")),
		`action="/account/contacts/invite"`, rtContactPath(org.approver, "disable"), rtContactPath(org.approver, "reset-mfa"))
	// Each row's controls say whom they act on, for screen readers.
	rtContains(t, "the contacts page", r.Body, rtText("en", "contacts.disable")+`<span class="visually-hidden">`+
		rtText("en", "contacts.for_person", "Name", org.approver.Name)+`</span>`)
}

func TestContacts_Invite(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	c := in.Client(t)
	in.SignIn(t, c, org.admin)

	r := c.PostForm("/account/contacts/invite", url.Values{"name": {""}, "email": {"not-an-address"}, "otp_method": {"sms"}})
	rtExpect(t, "POST invite (invalid)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "register.name_required"), rtText("en", "register.email_invalid"),
		`value="not-an-address"`, `aria-describedby="e-otp_method"`, `id="e-otp_method"`)
	r = c.PostForm("/account/contacts/invite", url.Values{"name": {"Dup"}, "email": {org.approver.Email}})
	rtExpect(t, "POST invite (taken)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "contacts.email_taken"))

	r = c.PostForm("/account/contacts/invite", url.Values{"name": {"招待 花子"}, "email": {"ｈａｎａｋｏ＠acme.example"},
		"approver": {"1"}, "otp_method": {"app"}})
	rtExpect(t, "POST invite", r, 303, "/account/contacts")
	m := rtWait(t, in, "hanako@acme.example", "Complete your registration")
	rtContains(t, "the invitation", m.Text, org.admin.Name, "Acme")
	welcome := rtPath(t, in, m.Link("/welcome/"))

	r = c.Get("/account/contacts")
	rtContains(t, "the contacts page", r.Body, rtText("en", "contacts.invited_flash"), "hanako@acme.example",
		rtText("en", "contacts.status_invited"))
	invited, err := in.Store.UserByEmail(context.Background(), "hanako@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if invited.Status != portal.StatusInvited || !invited.IsApprover || invited.IsAccountAdmin || invited.OTPMethod != portal.OTPApp ||
		invited.AccountID != org.acc.ID {
		t.Errorf("invited = %+v", invited)
	}
	if !rtAuditHas(t, in, org.acc.ID, "user.invite", invited.ID) {
		t.Error("no user.invite audit entry")
	}

	w := in.Client(t)
	r = w.Get(welcome)
	rtExpect(t, "GET welcome", r, 200, "")
	rtContains(t, "the welcome page", r.Body, `value="招待 花子"`, `value="hanako@acme.example"`)

	// Resending replaces the link.
	r = c.PostForm(fmt.Sprintf("/account/contacts/%d/resend", invited.ID), nil)
	rtExpect(t, "POST resend", r, 303, "/account/contacts")
	m2 := in.Mail.WaitFor(t, "hanako@acme.example", func(m2 mailtest.Mail) bool {
		return m2.Link("/welcome/") != "" && m2.Link("/welcome/") != m.Link("/welcome/")
	}, 15*time.Second)
	rtExpect(t, "GET replaced welcome link", w.Get(welcome), 410, "")
	rtExpect(t, "GET new welcome link", w.Get(rtPath(t, in, m2.Link("/welcome/"))), 200, "")
	rtExpect(t, "POST resend to an active contact", c.PostForm(rtContactPath(org.approver, "resend"), nil), 422, "")
}

func TestContacts_DisableEndsSessions(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	user := in.User(t, apptest.UserSpec{AccountID: org.acc.ID, Ready: true})
	admin := in.Client(t)
	in.SignIn(t, admin, org.admin)
	victim := in.Client(t)
	in.SignIn(t, victim, user)
	rtExpect(t, "GET /account before", victim.Get("/account"), 200, "")

	rtExpect(t, "POST disable", admin.PostForm(rtContactPath(user, "disable"), nil), 303, "/account/contacts")
	r := victim.Get("/account")
	if r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("GET /account after disable = %d → %q, want a redirect to /login", r.Status, r.Location)
	}
	r = victim.PostForm("/login", url.Values{"email": {user.Email}, "password": {user.Password}})
	if r.Status == 303 {
		t.Fatalf("a disabled contact signed in: → %q", r.Location)
	}
	if !rtAuditHas(t, in, org.acc.ID, "contacts.disable", user.ID) {
		t.Error("no contacts.disable audit entry")
	}
	rtContains(t, "the contacts page", admin.Get("/account/contacts").Body, rtText("en", "contacts.status_disabled"),
		rtContactPath(user, "enable"))

	rtExpect(t, "POST enable", admin.PostForm(rtContactPath(user, "enable"), nil), 303, "/account/contacts")
	in.SignIn(t, in.Client(t), user)

	r = admin.PostForm(rtContactPath(org.admin, "disable"), nil)
	rtExpect(t, "POST disable self", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "contacts.cannot_disable_self"))
}

func TestContacts_ResetMFA(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	user := in.User(t, apptest.UserSpec{AccountID: org.acc.ID, Ready: true, OTP: portal.OTPApp, Language: "ja"})
	c := in.Client(t)
	in.SignIn(t, c, org.admin)

	rtExpect(t, "POST reset-mfa", c.PostForm(rtContactPath(user, "reset-mfa"), nil), 303, "/account/contacts")
	m := rtWait(t, in, user.Email, "二要素認証がリセットされました")
	rtContains(t, "the reset notice", m.Text, org.admin.Name, "/login")
	if !rtAuditHas(t, in, org.acc.ID, "mfa.reset", user.ID) {
		t.Error("no mfa.reset audit entry")
	}
	got, err := in.Store.UserByID(context.Background(), user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MFAEnrolled() || !got.NeedsPairing() {
		t.Errorf("after reset: enrolled %v, needs pairing %v", got.MFAEnrolled(), got.NeedsPairing())
	}
	rtContains(t, "the contacts page", c.Get("/account/contacts").Body, rtText("en", "contacts.mfa_reset_flash"),
		rtText("en", "contacts.mfa_not_paired", "Method", rtText("en", "register.otp_app")))
}

func TestContacts_Roles(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	user := in.User(t, apptest.UserSpec{AccountID: org.acc.ID, Ready: true})
	c := in.Client(t)
	in.SignIn(t, c, org.admin)

	r := c.PostForm(rtContactPath(org.approver, "roles"), url.Values{})
	rtExpect(t, "POST roles (last approver)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "contacts.last_approver"))
	if u, _ := in.Store.UserByID(context.Background(), org.approver.ID); !u.IsApprover {
		t.Fatal("the last approver was removed")
	}

	rtExpect(t, "POST roles (name approver)", c.PostForm(rtContactPath(user, "roles"), url.Values{"approver": {"1"}}), 303, "/account/contacts")
	rtExpect(t, "POST roles (remove approver)", c.PostForm(rtContactPath(org.approver, "roles"), url.Values{}), 303, "/account/contacts")
	if u, _ := in.Store.UserByID(context.Background(), org.approver.ID); u.IsApprover {
		t.Error("approver role not removed")
	}
	if u, _ := in.Store.UserByID(context.Background(), user.ID); !u.IsApprover || u.IsAccountAdmin {
		t.Errorf("user roles = approver %v admin %v", u.IsApprover, u.IsAccountAdmin)
	}
	if !rtAuditHas(t, in, org.acc.ID, "contacts.roles", user.ID) {
		t.Error("no contacts.roles audit entry")
	}

	r = c.PostForm(rtContactPath(org.admin, "roles"), url.Values{})
	rtExpect(t, "POST roles (unadmin self)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "contacts.cannot_unadmin_self"))
}

func TestContacts_OtherOrganization(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	other := rtNewOrg(t, in, "Other")
	c := in.Client(t)
	in.SignIn(t, c, org.admin)
	for _, action := range []string{"disable", "enable", "reset-mfa", "roles", "resend"} {
		r := c.PostForm(rtContactPath(other.approver, action), url.Values{"approver": {"1"}})
		rtExpect(t, "POST "+action+" on another organization's contact", r, 404, "")
	}
	rtExpect(t, "POST on an unknown contact", c.PostForm("/account/contacts/999999/disable", nil), 404, "")
	rtExpect(t, "POST on a malformed id", c.PostForm("/account/contacts/abc/disable", nil), 404, "")
	got, err := in.Store.UserByID(context.Background(), other.approver.ID)
	if err != nil || got.Status != portal.StatusActive || !got.MFAEnrolled() {
		t.Errorf("another organization's contact changed: %+v, %v", got, err)
	}
	if n := in.Mail.Count(other.approver.Email); n != 0 {
		t.Errorf("another organization's contact got %d mails", n)
	}
}
