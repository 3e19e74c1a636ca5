// Ctrl-C for every Connection: the process's registry of open sessions. Every
// roachrun::Connection registers its session when it connects and leaves when it closes
// (connection.cpp), so no way of making one -- the core's pool, a step's own threads, the audit,
// a reconnect inside the retry engine -- can forget it.
//
// One registry per process: it lives in libroachrun_sdk.so, which the host and every plugin
// share. This header is not part of the plugin SDK (it is not installed): a plugin sees
// cancellation only as StepContext::interrupted(), the DbError 57014 of a cancelled statement,
// and the Interrupted thrown by a connect after Ctrl-C.
#pragma once

#include <cstddef>
#include <cstdint>

#include <libpq-fe.h>

#include "roachrun/export.hpp"

namespace roachrun {

class CancelEntry;  // one registered session

// Registers the open session `conn` for cancel_all_connections(). Throws Interrupted once
// cancel_all_connections() has run: a session opened after Ctrl-C would run statements nothing
// cancels any more, so it is refused. Thread-safe.
CancelEntry* register_for_cancel(PGconn* conn);
// Forgets `entry` (null: nothing). Safe while cancel_all_connections() runs on another thread:
// a cancel request it is sending for this session still completes, and is harmless (the server
// ignores a request for a session that has gone). Thread-safe.
void deregister_for_cancel(CancelEntry* entry) noexcept;
// Throws Interrupted if cancel_all_connections() has run: lets a connect fail before it waits on
// the network. Thread-safe.
void throw_if_cancelled();
// Marks `entry`, the session of `conn`, as one whose server ignores cancel requests (CockroachDB
// before v22.1): cancel_all_connections() shuts its socket down instead, so a statement waiting
// on the server returns at once (as a lost connection, 08006) -- while the server may go on
// running it. Connection::dialect() calls it when it detects such a server. Keeps a duplicate
// of the socket's descriptor until deregistration, so the shutdown can never reach a descriptor
// number the process has reused for something else. Thread-safe; idempotent.
void close_instead_of_cancel(CancelEntry* entry, PGconn* conn) noexcept;

// HOST ONLY: the engine's Interrupts calls it on the first Ctrl-C/SIGTERM, after setting the
// interrupted flag steps see. Sends a cancel request for the statement in flight on every
// registered session -- or, for a session marked by close_instead_of_cancel(), shuts its socket
// down -- and makes every later connect throw Interrupted. Requests are sent outside the
// registry's lock, so connections on other threads open and close meanwhile without waiting
// (a shutdown is one non-blocking call, made under it). Returns how many requests were sent;
// `closed`, if given, gets how many sessions were shut down instead. Thread-safe; not
// async-signal-safe (call it from a thread, as the signal thread does).
ROACHRUN_API std::size_t cancel_all_connections(std::size_t* closed = nullptr) noexcept;

// HOST ONLY: the sessions the calling thread opens from now on belong to `scope` (0, the
// default: to none), so that cancel_scope() reaches them. The runner gives each branch of a
// parallel block a scope of its own. Threads a step starts itself are in no scope: they see the
// branch's stop through StepContext::interrupted().
ROACHRUN_API void set_cancel_scope(std::uint64_t scope) noexcept;
// HOST ONLY: cancels the statement in flight on every session of `scope` (a branch stopped because
// another failed), as cancel_all_connections() does for all of them -- but later connects are not
// refused: the run goes on (to its reports and its cleanup). Returns how many requests were sent.
// Thread-safe.
ROACHRUN_API std::size_t cancel_scope(std::uint64_t scope) noexcept;

// TESTS ONLY: how many sessions are registered now.
ROACHRUN_API std::size_t registered_connections() noexcept;
// TESTS ONLY: forgets that cancel_all_connections() ran, so a test process can connect again.
ROACHRUN_API void reset_cancel_registry_for_tests() noexcept;

}  // namespace roachrun
