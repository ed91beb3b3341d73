import AgentTailCore
/// Encodes spans as an OTLP/JSON `ExportTraceServiceRequest`, the way Langfuse and collectors read it: lowerCamelCase
/// keys, hex ids, times as decimal strings of nanoseconds, integer enums, attributes as a list.
///
/// The output is a pure function of the spans, so a resend carries identical bytes.
package struct OTLPJSONEncoder: Sendable {
    package var serviceName = "agenttail"
    package var scopeName = "agenttail"
    package var scopeVersion = AgentTail.version

    package init() {}

    package func encode(_ spans: [OTLPSpan]) -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        writer.beginObject()
        writer.key("resourceSpans")
        writer.beginArray()
        writer.beginObject()
        writer.key("resource")
        writer.beginObject()
        writer.key("attributes")
        writer.beginArray()
        Self.attribute("service.name", .string(serviceName), into: &writer)
        writer.endArray()
        writer.endObject()
        writer.key("scopeSpans")
        writer.beginArray()
        writer.beginObject()
        writer.key("scope")
        writer.beginObject()
        writer.key("name")
        writer.string(scopeName)
        writer.key("version")
        writer.string(scopeVersion)
        writer.endObject()
        writer.key("spans")
        writer.beginArray()
        for span in spans { Self.write(span, into: &writer) }
        writer.endArray()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// The encoded size of one span, for cutting exports by bytes.
    package static func size(of span: OTLPSpan) -> Int {
        var writer = JSONWriter()
        write(span, into: &writer)
        return writer.bytes.count + 1
    }

    static func write(_ span: OTLPSpan, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("traceId")
        writer.string(hex(span.traceID))
        writer.key("spanId")
        writer.string(hex(span.spanID))
        if let parent = span.parentSpanID {
            writer.key("parentSpanId")
            writer.string(hex(parent))
        }
        writer.key("name")
        writer.string(span.name)
        writer.key("kind")
        writer.int(span.kind)
        writer.key("startTimeUnixNano")
        writer.string(String(span.startMillis) + "000000")
        writer.key("endTimeUnixNano")
        writer.string(String(span.endMillis) + "000000")
        writer.key("attributes")
        writer.beginArray()
        for (key, value) in span.attributes { attribute(key, value, into: &writer) }
        writer.endArray()
        writer.key("status")
        writer.beginObject()
        if span.statusCode != 0 {
            writer.key("code")
            writer.int(span.statusCode)
        }
        if let message = span.statusMessage {
            writer.key("message")
            writer.string(message)
        }
        writer.endObject()
        writer.endObject()
    }

    static func attribute(_ key: String, _ value: OTLPValue, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("key")
        writer.string(key)
        writer.key("value")
        writer.beginObject()
        switch value {
        case .string(let text):
            writer.key("stringValue")
            writer.string(text)
        case .int(let number):
            writer.key("intValue")
            writer.string(String(number))
        case .double(let number):
            writer.key("doubleValue")
            writer.double(number)
        case .bool(let flag):
            writer.key("boolValue")
            writer.bool(flag)
        case .strings(let texts):
            writer.key("arrayValue")
            writer.beginObject()
            writer.key("values")
            writer.beginArray()
            for text in texts {
                writer.beginObject()
                writer.key("stringValue")
                writer.string(text)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endObject()
        writer.endObject()
    }

    /// Lower-case hex, as OTLP/JSON wants ids.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
