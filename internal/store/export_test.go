package store

// QueueSQL exposes the agent queue's query to the tests that EXPLAIN it.
func QueueSQL(q QueueQuery) (string, []any, error) {
	if err := q.normalize(); err != nil {
		return "", nil, err
	}
	var cur *queueCursor
	if q.After != "" {
		c, err := decodeQueueCursor(q.After, q.Sort, q.Desc)
		if err != nil {
			return "", nil, err
		}
		cur = c
	}
	sql, args := queueSQL(q, cur)
	return sql, args, nil
}
