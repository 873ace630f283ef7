package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

const attachmentColumns = `a.id, a.case_id, coalesce(a.event_id, 0), a.name, a.size, a.sha256, a.content_type,
	a.storage_key, a.uploaded_by, u.name, a.uploaded_at, coalesce(e.internal, false)`

const attachmentFrom = ` FROM attachments a
	JOIN users u ON u.id = a.uploaded_by
	LEFT JOIN case_events e ON e.id = a.event_id`

func scanAttachment(row pgx.Row) (portal.Attachment, bool, error) {
	var a portal.Attachment
	var internal bool
	err := row.Scan(&a.ID, &a.CaseID, &a.EventID, &a.Name, &a.Size, &a.SHA256, &a.ContentType,
		&a.StorageKey, &a.UploadedBy, &a.UploaderName, &a.UploadedAt, &internal)
	return a, internal, err
}

// AttachmentByID returns attachment id of case caseID and whether it came
// with an internal note (which customers must not see). Returns ENOTFOUND if
// the case has no such attachment, also when id belongs to another case.
func (s *Store) AttachmentByID(ctx context.Context, caseID, id int64) (*portal.Attachment, bool, error) {
	a, internal, err := scanAttachment(s.pool.QueryRow(ctx, `SELECT `+attachmentColumns+attachmentFrom+`
		WHERE a.case_id = $1 AND a.id = $2`, caseID, id))
	if err != nil {
		return nil, false, mapErr(err, fmt.Sprintf("attachment %d of case %d", id, caseID))
	}
	return &a, internal, nil
}

// CaseAttachments returns the attachments of a case, oldest first, with the
// names of those who uploaded them; those of internal notes only when
// includeInternal is true.
func (s *Store) CaseAttachments(ctx context.Context, caseID int64, includeInternal bool) ([]portal.Attachment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+attachmentColumns+attachmentFrom+`
		WHERE a.case_id = $1 AND ($2 OR NOT coalesce(e.internal, false))
		ORDER BY a.id`, caseID, includeInternal)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("attachments of case %d", caseID))
	}
	defer rows.Close()
	var out []portal.Attachment
	for rows.Next() {
		a, _, err := scanAttachment(rows)
		if err != nil {
			return nil, mapErr(err, fmt.Sprintf("attachments of case %d", caseID))
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err(), fmt.Sprintf("attachments of case %d", caseID))
}
