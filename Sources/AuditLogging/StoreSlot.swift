import AuditStore

/// The sink's store writer and the notifier that watches it, replaced together when the sink reopens a
/// store that failed (docs/logging.md, When the store fails). Only the drain thread appends and only it
/// replaces them; every other thread reads the current pair.
///
/// A reopened store continues the chain from the last durable record, so the sequence numbers of the
/// records that were appended but lost in the failure are given to new records. They are remembered here
/// (``isLost(_:)``): a wait on one of them by number alone cannot tell which record is meant.
final class StoreSlot: Sendable {
    struct Current: Sendable {
        let writer: StoreWriter
        let durability: DurabilityNotifier
    }

    private struct State {
        var current: Current
        var lost: [ClosedRange<UInt64>] = []
    }

    private let state: Condition<State>

    init(_ current: Current) {
        state = Condition(State(current: current))
    }

    var current: Current { state.withLock { $0.current } }

    func replace(with current: Current, lost: ClosedRange<UInt64>?) {
        state.withLock { s in
            s.current = current
            if let lost { s.lost.append(lost) }
        }
    }

    /// True when `seq` was given to a record that a store failure lost (and may since belong to another).
    func isLost(_ seq: UInt64) -> Bool {
        state.withLock { s in s.lost.contains { $0.contains(seq) } }
    }
}
