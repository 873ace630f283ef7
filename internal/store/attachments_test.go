package store_test

import (
	"context"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// Fixtures of the attachments area start with at.

func atFile(name, key string) store.NewAttachment {
	return store.NewAttachment{Name: name, Size: int64(len(name)), SHA256: "ab12", ContentType: "text/plain; charset=utf-8",
		StorageKey: key}
}

func TestStore_Attachments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.Pool(t)
	s := store.New(pool, nil)
	acc := rgAccount(t, s, "Acme")
	opener := rgUser(t, s, acc.ID, "opener@acme.example")
	agent := rgUser(t, s, 0, "agent@vendor.example")

	c, _, err := s.CreateCase(ctx, store.NewCase{
		AccountID: acc.ID, OpenedBy: opener.ID, HelpType: portal.HelpProduct, Priority: portal.DefaultPriority,
		Subject: "ログ添付", Description: "ログを添付します。", CC: []string{},
		Files: []store.NewAttachment{atFile("障害ログ 2026年11月.txt", "att/2026/11/a"), atFile("screen.png", "att/2026/11/b")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.CreateCase(ctx, store.NewCase{
		AccountID: acc.ID, OpenedBy: opener.ID, HelpType: portal.HelpProduct, Priority: portal.DefaultPriority,
		Subject: "別件", Description: "別件です。", CC: []string{}, Files: []store.NewAttachment{atFile("other.txt", "att/2026/11/c")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// An internal note with a file, written directly: the note itself is
	// the case page's business.
	var noteFile int64
	err = pool.QueryRow(ctx, `WITH e AS (
			INSERT INTO case_events (case_id, actor_id, kind, action, body, internal)
			VALUES ($1, $2, 'internal_note', 'internal_note', 'メモ', true) RETURNING id)
		INSERT INTO attachments (case_id, event_id, name, size, sha256, content_type, storage_key, uploaded_by)
		SELECT $1, e.id, 'internal.log', 3, 'cd34', 'text/plain; charset=utf-8', 'att/2026/11/d', $2 FROM e
		RETURNING id`, c.ID, agent.ID).Scan(&noteFile)
	if err != nil {
		t.Fatal(err)
	}

	all, err := s.CaseAttachments(ctx, c.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Name != "障害ログ 2026年11月.txt" || all[1].Name != "screen.png" || all[2].Name != "internal.log" {
		t.Fatalf("CaseAttachments(staff) = %+v, want the two files then the note's, oldest first", all)
	}
	first := all[0]
	if first.CaseID != c.ID || first.EventID == 0 || first.Size != int64(len(first.Name)) || first.SHA256 != "ab12" ||
		first.ContentType != "text/plain; charset=utf-8" || first.StorageKey != "att/2026/11/a" ||
		first.UploadedBy != opener.ID || first.UploaderName != opener.Name || first.UploadedAt.IsZero() {
		t.Errorf("CaseAttachments[0] = %+v", first)
	}
	if all[2].UploaderName != agent.Name {
		t.Errorf("the note's file was uploaded by %q, want %q", all[2].UploaderName, agent.Name)
	}

	public, err := s.CaseAttachments(ctx, c.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(public) != 2 {
		t.Fatalf("CaseAttachments(customer) = %+v, want the two public files", public)
	}
	if none, err := s.CaseAttachments(ctx, 0, true); err != nil || len(none) != 0 {
		t.Errorf("CaseAttachments(no case) = %v, %v", none, err)
	}

	a, internal, err := s.AttachmentByID(ctx, c.ID, first.ID)
	if err != nil || internal || a.Name != first.Name || a.StorageKey != first.StorageKey || a.UploaderName != opener.Name {
		t.Errorf("AttachmentByID = %+v, %t, %v", a, internal, err)
	}
	if _, internal, err := s.AttachmentByID(ctx, c.ID, noteFile); err != nil || !internal {
		t.Errorf("AttachmentByID(note's file) internal = %t, %v; want true", internal, err)
	}
	// A file of another case is not found through this one.
	otherFiles, _ := s.CaseAttachments(ctx, other.ID, true)
	if _, _, err := s.AttachmentByID(ctx, c.ID, otherFiles[0].ID); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("AttachmentByID(another case's file) = %v, want ENOTFOUND", err)
	}
	if _, _, err := s.AttachmentByID(ctx, c.ID, 1<<40); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("AttachmentByID(missing) = %v, want ENOTFOUND", err)
	}
}
