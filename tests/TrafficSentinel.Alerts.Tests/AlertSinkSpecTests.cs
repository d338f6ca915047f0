using TrafficSentinel.Alerts.Sinks;

namespace TrafficSentinel.Alerts.Tests;

public class AlertSinkSpecTests
{
    [Theory]
    [InlineData("console", AlertSinkKind.Console, null, null, 0, "console")]
    [InlineData(" Console ", AlertSinkKind.Console, null, null, 0, "console")]
    [InlineData("jsonl", AlertSinkKind.JsonLines, null, null, 0, "jsonl")]
    [InlineData("jsonl:-", AlertSinkKind.JsonLines, null, null, 0, "jsonl")]
    [InlineData("jsonl:/var/log/sentinel/eve.json", AlertSinkKind.JsonLines, "/var/log/sentinel/eve.json", null, 0, "jsonl:/var/log/sentinel/eve.json")]
    [InlineData("jsonl:out:with:colons.json", AlertSinkKind.JsonLines, "out:with:colons.json", null, 0, "jsonl:out:with:colons.json")]
    [InlineData("syslog:udp://127.0.0.1:514", AlertSinkKind.Syslog, null, "127.0.0.1", 514, "syslog:udp://127.0.0.1:514")]
    [InlineData("syslog:tcp://collector.example:601", AlertSinkKind.Syslog, null, "collector.example", 601, "syslog:tcp://collector.example:601")]
    [InlineData("syslog:UDP://[::1]:5514/", AlertSinkKind.Syslog, null, "::1", 5514, "syslog:udp://[::1]:5514")]
    [InlineData("syslog:udp://loghost", AlertSinkKind.Syslog, null, "loghost", 514, "syslog:udp://loghost:514")]
    public void Good_specs(string text, AlertSinkKind kind, string? path, string? host, int port, string canonical)
    {
        AlertSinkSpec spec = AlertSinkSpec.Parse(text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(path, spec.Path);
        Assert.Equal(host, spec.Host);
        Assert.Equal(port, spec.Port);
        Assert.Equal(canonical, spec.ToString());
        Assert.True(AlertSinkSpec.TryParse(text, out AlertSinkSpec? again, out string? error));
        Assert.Null(error);
        Assert.Equal(spec, again);
    }

    [Theory]
    [InlineData("", "Empty alert output")]
    [InlineData("   ", "Empty alert output")]
    [InlineData("kafka:broker", "Unknown alert output 'kafka:broker'")]
    [InlineData("json", "Unknown alert output 'json'")]
    [InlineData("console:x", "'console' takes no argument")]
    [InlineData("jsonl:", "needs a file path")]
    [InlineData("syslog", "syslog needs a target")]
    [InlineData("syslog:", "syslog needs a target")]
    [InlineData("syslog:127.0.0.1:514", "udp://HOST:PORT or tcp://HOST:PORT")]
    [InlineData("syslog:http://h:1", "must be udp or tcp, not 'http'")]
    [InlineData("syslog:udp://:514", "host is missing")]
    [InlineData("syslog:udp://h:0", "port must be a number from 1 to 65535, not '0'")]
    [InlineData("syslog:udp://h:70000", "not '70000'")]
    [InlineData("syslog:udp://h:abc", "not 'abc'")]
    [InlineData("syslog:udp://h:", "not ''")]
    [InlineData("syslog:udp://::1:514", "IPv6 address in brackets")]
    [InlineData("syslog:udp://[::1", "missing ']'")]
    [InlineData("syslog:udp://[::1]x", "expected ':PORT'")]
    [InlineData("syslog:udp://[loghost]:514", "not an IPv6 address")]
    [InlineData("syslog:udp://user@h:514", "not a host name or address")]
    public void Bad_specs_say_why(string text, string reason)
    {
        FormatException ex = Assert.Throws<FormatException>(() => AlertSinkSpec.Parse(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(AlertSinkSpec.TryParse(text, out AlertSinkSpec? spec, out string? error));
        Assert.Null(spec);
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void Unknown_kind_lists_the_accepted_forms()
    {
        FormatException ex = Assert.Throws<FormatException>(() => AlertSinkSpec.Parse("nope"));
        Assert.Contains("console, jsonl, jsonl:PATH, syslog:udp://HOST:PORT or syslog:tcp://HOST:PORT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Creates_the_named_sinks()
    {
        string path = Path.Combine(Path.GetTempPath(), "ts-spec-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            using (IAlertSink file = AlertSinkSpec.CreateSink("jsonl:" + path))
            {
                Assert.IsType<JsonLinesAlertSink>(file);
                Assert.Equal("jsonl:" + path, file.Name);
            }

            Assert.True(File.Exists(path));

            using IAlertSink stdout = AlertSinkSpec.CreateSink("jsonl");
            Assert.Equal("jsonl", stdout.Name);

            using IAlertSink console = AlertSinkSpec.CreateSink("console");
            Assert.IsType<ConsoleAlertSink>(console);

            using IAlertSink syslog = AlertSinkSpec.CreateSink("syslog:tcp://[::1]:6514");
            SyslogAlertSink typed = Assert.IsType<SyslogAlertSink>(syslog);
            Assert.Equal(SyslogTransport.Tcp, typed.Transport);
            Assert.Equal("::1", typed.Host);
            Assert.Equal(6514, typed.Port);
            Assert.Equal("syslog:tcp://[::1]:6514", typed.Name);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
