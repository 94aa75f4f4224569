package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/gochatproto/gochat/refserver/store"
)

// storeOps are the op label values, one per store.Store method.
var storeOps = [...]string{"create_user", "user_by_name", "deregister", "set_perm", "list_users",
	"queue_message", "pending_messages", "delete_messages", "count_pending", "setting", "set_setting",
	"queue_messages", "read_pending"}

const (
	opCreateUser = iota
	opUserByName
	opDeregister
	opSetPerm
	opListUsers
	opQueueMessage
	opPendingMessages
	opDeleteMessages
	opCountPending
	opSetting
	opSetSetting
	opQueueMessages
	opReadPending
)

// WrapStore returns st with every call timed into
// gochat_store_duration_seconds and its failures counted. A method the
// Store interface gains later passes through the embedded store untimed
// until it is added here.
func (m *Metrics) WrapStore(st store.Store) store.Store { return &timedStore{Store: st, m: m} }

type timedStore struct {
	store.Store
	m *Metrics
}

// done records one call that started at start.
func (s *timedStore) done(op int, start time.Time, err error) {
	s.m.storeTime[op].Observe(time.Since(start).Seconds())
	if err != nil && !expected(err) {
		s.m.storeErrs[op].Inc()
	}
}

// expected reports whether err is one of a call's documented outcomes
// rather than a failure.
func expected(err error) bool {
	for _, e := range []error{store.ErrNotFound, store.ErrNameTaken, store.ErrNameDangling, store.ErrKeyTaken} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (s *timedStore) CreateUser(ctx context.Context, name string, key []byte, perm uint8) (store.User, error) {
	t := time.Now()
	u, err := s.Store.CreateUser(ctx, name, key, perm)
	s.done(opCreateUser, t, err)
	return u, err
}

func (s *timedStore) UserByName(ctx context.Context, name string) (store.User, error) {
	t := time.Now()
	u, err := s.Store.UserByName(ctx, name)
	s.done(opUserByName, t, err)
	return u, err
}

func (s *timedStore) Deregister(ctx context.Context, name string) error {
	t := time.Now()
	err := s.Store.Deregister(ctx, name)
	s.done(opDeregister, t, err)
	return err
}

func (s *timedStore) SetPerm(ctx context.Context, name string, perm uint8) error {
	t := time.Now()
	err := s.Store.SetPerm(ctx, name, perm)
	s.done(opSetPerm, t, err)
	return err
}

func (s *timedStore) ListUsers(ctx context.Context) ([]store.UserSummary, error) {
	t := time.Now()
	l, err := s.Store.ListUsers(ctx)
	s.done(opListUsers, t, err)
	return l, err
}

func (s *timedStore) QueueMessage(ctx context.Context, msg store.Message) (int64, error) {
	t := time.Now()
	id, err := s.Store.QueueMessage(ctx, msg)
	s.done(opQueueMessage, t, err)
	return id, err
}

// QueueMessages counts one group commit as one call; its error counter
// counts calls in which any message failed other than as documented.
func (s *timedStore) QueueMessages(ctx context.Context, ms []store.Message) []error {
	t := time.Now()
	errs := s.Store.QueueMessages(ctx, ms)
	var first error
	for _, err := range errs {
		if err != nil && !expected(err) {
			first = err
			break
		}
	}
	s.done(opQueueMessages, t, first)
	return errs
}

func (s *timedStore) ReadPending(ctx context.Context, to string, after store.Cursor, limit int, fn func(*store.Message) bool) error {
	t := time.Now()
	err := s.Store.ReadPending(ctx, to, after, limit, fn)
	s.done(opReadPending, t, err)
	return err
}

func (s *timedStore) PendingMessages(ctx context.Context, to string, limit int) ([]store.Message, error) {
	t := time.Now()
	l, err := s.Store.PendingMessages(ctx, to, limit)
	s.done(opPendingMessages, t, err)
	return l, err
}

func (s *timedStore) DeleteMessages(ctx context.Context, to string, ids []int64) error {
	t := time.Now()
	err := s.Store.DeleteMessages(ctx, to, ids)
	s.done(opDeleteMessages, t, err)
	return err
}

func (s *timedStore) CountPending(ctx context.Context, to string) (int, error) {
	t := time.Now()
	n, err := s.Store.CountPending(ctx, to)
	s.done(opCountPending, t, err)
	return n, err
}

func (s *timedStore) Setting(ctx context.Context, key string) (string, bool, error) {
	t := time.Now()
	v, ok, err := s.Store.Setting(ctx, key)
	s.done(opSetting, t, err)
	return v, ok, err
}

func (s *timedStore) SetSetting(ctx context.Context, key, value string) error {
	t := time.Now()
	err := s.Store.SetSetting(ctx, key, value)
	s.done(opSetSetting, t, err)
	return err
}
