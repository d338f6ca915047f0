using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TrafficSentinel.Alerts.Sinks;

/// <summary>
/// Writes an <see cref="Alert"/> as one Suricata-EVE-shaped JSON object with <see cref="Utf8JsonWriter"/>
/// (no reflection). Shared by the JSON lines and syslog sinks.
/// </summary>
/// <remarks>
/// <c>event_type</c> is <c>"alert"</c>, not a new type such as <c>"vpn"</c>: EVE consumers (the
/// Filebeat/Elastic Suricata module, Splunk TA, EveBox, <c>jq 'select(.event_type=="alert")'</c>)
/// route and display records by <c>event_type</c>, and a detection of a VPN or anonymiser on a flow
/// is exactly what they mean by an alert. What is ours lives in the extra <c>detection</c> object;
/// a small Suricata-style <c>alert</c> object (action, signature, category, severity) is added so that
/// those tools have a title to show. Text is written as UTF-8 with only JSON's own escapes (quotes,
/// backslash, control characters), as Suricata does: the default encoder's HTML-safe escaping would
/// turn the <c>+</c> in every timestamp and Community ID into <c>\u002B</c> and defeat grep. These
/// lines are never embedded in HTML, which is the only case that escaping guards against.
/// </remarks>
internal static class EveJson
{
    /// <summary>EVE <c>alert.severity</c>: 3 (low). Using a VPN is a policy matter, not an attack.</summary>
    internal const int Severity = 3;

    private static readonly JsonWriterOptions s_options = new()
    {
        Indented = false,
        SkipValidation = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static JsonWriterOptions Options => s_options;

    /// <summary>Writes the alert as one JSON object, without a trailing newline.</summary>
    internal static void Write(Utf8JsonWriter json, Alert alert)
    {
        FlowEndpoints flow = alert.Flow;
        Detection detection = alert.Detection;

        json.WriteStartObject();
        json.WriteString("timestamp", AlertTime.ToEve(alert.TimestampMicros));
        json.WriteNumber("flow_id", alert.FlowId);
        if (alert.PcapPacketNumber is long packetNumber)
        {
            json.WriteNumber("pcap_cnt", packetNumber);
        }

        json.WriteString("event_type", "alert");
        if (alert.VlanId is ushort vlan)
        {
            json.WriteStartArray("vlan");
            json.WriteNumberValue(vlan);
            json.WriteEndArray();
        }

        json.WriteString("src_ip", flow.ClientIp.ToString());
        if (flow.HasPorts)
        {
            json.WriteNumber("src_port", flow.ClientPort);
        }

        json.WriteString("dest_ip", flow.ServerIp.ToString());
        if (flow.HasPorts)
        {
            json.WriteNumber("dest_port", flow.ServerPort);
        }

        json.WriteString("proto", IpProtocols.ToEveName(flow.IpProtocol));
        if (flow.IsIcmp)
        {
            json.WriteNumber("icmp_type", flow.ClientPort);
            json.WriteNumber("icmp_code", flow.ServerPort);
        }

        json.WriteString("community_id", alert.CommunityId);
        if (alert.SensorName is { Length: > 0 } sensor)
        {
            json.WriteString("host", sensor);
        }

        if (alert.PcapFileName is { } pcapFileName)
        {
            json.WriteString("pcap_filename", pcapFileName);
        }

        json.WriteStartObject("alert");
        json.WriteString("action", "allowed");
        json.WriteString("signature", $"TrafficSentinel {detection.Protocol} {detection.Category} ({detection.Method})");
        json.WriteString("category", detection.Category);
        json.WriteNumber("severity", Severity);
        json.WriteEndObject();

        json.WriteStartObject("detection");
        json.WriteString("protocol", detection.Protocol);
        json.WriteString("category", detection.Category);
        json.WriteString("method", detection.Method);
        json.WriteNumber("confidence", Math.Round(detection.Confidence, 6));
        json.WriteString("evidence", detection.Evidence);
        json.WriteEndObject();

        FlowCounters counters = alert.Counters;
        json.WriteStartObject("flow");
        json.WriteNumber("pkts_toserver", counters.PacketsToServer);
        json.WriteNumber("pkts_toclient", counters.PacketsToClient);
        json.WriteNumber("bytes_toserver", counters.BytesToServer);
        json.WriteNumber("bytes_toclient", counters.BytesToClient);
        json.WriteString("start", AlertTime.ToEve(counters.StartMicros));
        json.WriteEndObject();

        json.WriteEndObject();
    }

    /// <summary>Serialises the alert into <paramref name="buffer"/> (cleared first), reusing <paramref name="json"/>.</summary>
    internal static void WriteTo(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, Alert alert)
    {
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        Write(json, alert);
        json.Flush();
    }
}
