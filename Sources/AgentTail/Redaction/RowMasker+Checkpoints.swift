import AgentTailCore
import Foundation

extension RowMasker {
    /// Masks what the checkpoints' session states hold from the log (the task, the final answer, the request waiting
    /// for its response, the calls waiting for results, the responses still open), so the state database keeps no
    /// more of a secret than the local store does.
    ///
    /// A state restored after a restart is masked already; the rows built from it are masked again, which changes
    /// nothing, so they are the rows an uninterrupted run writes. The waiting request repeats the conversation, so
    /// it is masked through the masker's memory of each file's last one, and only what it adds is scanned.
    package mutating func redact(_ checkpoints: inout [FileCheckpoint]) {
        for index in checkpoints.indices {
            let memory = UUID(v5: "pending request of \(checkpoints[index].fileKey)")
            redact(&checkpoints[index].session, memory: memory)
            checkpoints[index].lastError = checkpoints[index].lastError.map { redactor.masked($0) }
        }
    }

    private mutating func redact(_ state: inout SessionState, memory: UUID) {
        state.task = state.task.map { redactor.masked($0) }
        state.finalOutput = state.finalOutput.map { redactor.masked($0) }
        if let input = state.pendingRequest?.input {
            state.pendingRequest?.input = redact(json: input, memory: memory)
        }
        for index in state.pendingToolCalls.indices {
            state.pendingToolCalls[index].call = masked(state.pendingToolCalls[index].call)
        }
        for index in (state.openResponses ?? []).indices {
            var open = state.openResponses![index]
            open.request.input = open.request.input.map { redactor.masked(json: $0) }
            open.response.output = open.response.output.map { redactor.masked($0) }
            open.response.thinking = open.response.thinking.map { redactor.masked($0) }
            open.response.toolCalls = open.response.toolCalls.map(masked)
            state.openResponses![index] = open
        }
    }

    private func masked(_ call: ToolCall) -> ToolCall {
        var call = call
        call.arguments = call.arguments.map { redactor.masked(json: $0) }
        return call
    }
}
