using System.Text.Json;
using TrafficSentinel.Alerts.Sinks;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Alerts.Tests;

/// <summary>
/// The dispatcher keeps sinks off the caller's thread. No test asserts on timing; timeouts are
/// generous and only there so a regression fails instead of hanging.
/// </summary>
public class AlertDispatcherTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_sink_that_blocks_forever_does_not_block_publishing()
    {
        const int Total = 100_000;
        const int Capacity = 1024;
        var blocking = new BlockingSink();
        var recording = new RecordingSink();
        var dispatcher = new AlertDispatcher([blocking, recording], Capacity);
        try
        {
            Alert[] alerts = [.. Enumerable.Range(0, Total).Select(TestAlerts.Numbered)];
            var publisher = Task.Run(() =>
            {
                int accepted = 0;
                foreach (Alert alert in alerts)
                {
                    accepted += dispatcher.TryPublish(alert) ? 1 : 0;
                }

                return accepted;
            });

            // WaitAsync throws TimeoutException if publishing ever blocked.
            int accepted = await publisher.WaitAsync(s_generous);
            await blocking.Entered.Task.WaitAsync(s_generous);
            Assert.True(accepted <= Capacity + 1);

            // The blocked sink finishes nothing; the other one drains and finishes.
            Assert.False(dispatcher.Complete(TimeSpan.FromSeconds(1)));
            await WaitUntilAsync(() => dispatcher.GetStatistics()[1].Finished);
            IReadOnlyList<SinkStatistics> stats = dispatcher.GetStatistics();
            SinkStatistics blocked = stats[0];
            SinkStatistics other = stats[1];

            Assert.Equal("blocking", blocked.Name);
            Assert.False(blocked.Finished);
            Assert.Equal(0, blocked.Written);
            Assert.InRange(blocked.Dropped, Total - Capacity - 1, Total);

            Assert.Equal("recording", other.Name);
            Assert.True(other.Finished);
            Assert.Equal(0, other.Pending);
            Assert.Equal(Total, other.Written + other.Dropped);
            Assert.Equal(other.Written, recording.Received.Count);
            Assert.Equal(other.Written, recording.Flushed);
            Assert.True(other.Written >= Capacity);
            ulong[] ids = [.. recording.Received.Select(a => a.FlowId)];
            Assert.Equal(ids.Order(), ids);

            Assert.Equal(Total, dispatcher.Published);
            Assert.Equal(blocked.Dropped + other.Dropped, dispatcher.Dropped);
            Assert.Equal(Total - accepted, dispatcher.Rejected);
        }
        finally
        {
            blocking.Release();
            dispatcher.Dispose();
        }
    }

    [Fact]
    public async Task Publishing_allocates_nothing_once_queues_are_warm()
    {
        var blocking = new BlockingSink();
        var recording = new NullSink();
        var dispatcher = new AlertDispatcher([blocking, recording], 256);
        try
        {
            Alert alert = TestAlerts.Numbered(1);
            for (int i = 0; i < 10_000; i++)
            {
                dispatcher.TryPublish(alert);
            }

            await blocking.Entered.Task.WaitAsync(s_generous);
            long allocated = Allocations.Fewest(() =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    dispatcher.TryPublish(alert);
                }
            });
            Assert.Equal(0, allocated);
        }
        finally
        {
            blocking.Release();
            dispatcher.Dispose();
        }
    }

    [Fact]
    public void A_sink_that_always_throws_is_counted_and_does_not_stop_the_other()
    {
        var throwing = new ThrowingSink();
        var recording = new RecordingSink();
        using var dispatcher = new AlertDispatcher([throwing, recording], 1000);

        for (int i = 0; i < 500; i++)
        {
            Assert.True(dispatcher.TryPublish(TestAlerts.Numbered(i)));
        }

        Assert.True(dispatcher.Complete(s_generous));
        SinkStatistics failing = dispatcher.GetStatistics()[0];
        Assert.Equal(500, failing.Failed);
        Assert.Equal(0, failing.Written);
        Assert.Equal(0, failing.Dropped);
        Assert.Equal("InvalidOperationException: boom 500", failing.LastError);
        Assert.True(failing.Finished);
        Assert.Equal(500, dispatcher.Failures);

        Assert.Equal(500, recording.Received.Count);
        Assert.Equal(500, dispatcher.GetStatistics()[1].Written);
        Assert.Null(dispatcher.GetStatistics()[1].LastError);
    }

    [Fact]
    public void A_sink_that_fails_sometimes_keeps_being_tried()
    {
        var flaky = new ThrowingSink(everyNth: 2);
        using var dispatcher = new AlertDispatcher([flaky], 1000);
        for (int i = 0; i < 100; i++)
        {
            dispatcher.TryPublish(TestAlerts.Numbered(i));
        }

        Assert.True(dispatcher.Complete(s_generous));
        SinkStatistics stats = Assert.Single(dispatcher.GetStatistics());
        Assert.Equal(50, stats.Written);
        Assert.Equal(50, stats.Failed);
        Assert.Equal(50, flaky.Succeeded);
    }

    [Fact]
    public void Complete_drains_and_flushes_everything_then_dispose_disposes_sinks()
    {
        var a = new RecordingSink("a");
        var b = new RecordingSink("b");
        var dispatcher = new AlertDispatcher([a, b]);
        Assert.Equal(AlertDispatcher.DefaultQueueCapacity, dispatcher.QueueCapacity);
        for (int i = 0; i < 5000; i++)
        {
            Assert.True(dispatcher.TryPublish(TestAlerts.Numbered(i)));
        }

        Assert.True(dispatcher.Complete(s_generous));
        Assert.Equal(5000, a.Flushed);
        Assert.Equal(5000, b.Flushed);
        Assert.All(dispatcher.GetStatistics(), s => Assert.Equal((5000L, 0L, 0L, 0, true), (s.Written, s.Dropped, s.Failed, s.Pending, s.Finished)));

        dispatcher.Dispose();
        Assert.True(a.Disposed);
        Assert.True(b.Disposed);
    }

    [Fact]
    public void Publishing_after_complete_is_a_counted_drop()
    {
        var sink = new RecordingSink();
        using var dispatcher = new AlertDispatcher([sink], 16);
        Assert.True(dispatcher.Complete(s_generous));
        Assert.False(dispatcher.TryPublish(TestAlerts.Numbered(1)));
        Assert.Equal(1, dispatcher.GetStatistics()[0].Dropped);
        Assert.Empty(sink.Received);
    }

    [Fact]
    public void Dispose_without_complete_still_drains()
    {
        var sink = new RecordingSink();
        using (var dispatcher = new AlertDispatcher([sink], 100))
        {
            for (int i = 0; i < 100; i++)
            {
                dispatcher.TryPublish(TestAlerts.Numbered(i));
            }
        }

        Assert.Equal(100, sink.Flushed);
        Assert.True(sink.Disposed);
    }

    [Fact]
    public void Publishing_from_several_threads_loses_nothing_that_fits()
    {
        var sink = new RecordingSink();
        using var dispatcher = new AlertDispatcher([sink], 100_000);
        Parallel.For(0, 4, t =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                Assert.True(dispatcher.TryPublish(TestAlerts.Numbered((t * 10_000) + i)));
            }
        });

        Assert.True(dispatcher.Complete(s_generous));
        Assert.Equal(40_000, sink.Received.Count);
        Assert.Equal(40_000, sink.Received.Select(a => a.FlowId).Distinct().Count());
    }

    [Fact]
    public void End_to_end_into_a_json_lines_file()
    {
        string path = Path.Combine(Path.GetTempPath(), "ts-dispatch-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            using (var dispatcher = new AlertDispatcher([JsonLinesAlertSink.OpenFile(path)]))
            {
                dispatcher.TryPublish(TestAlerts.OpenVpnTcp());
                dispatcher.TryPublish(TestAlerts.WireGuardV6());
                dispatcher.TryPublish(TestAlerts.IcmpTunnel());
                Assert.True(dispatcher.Complete(s_generous));
            }

            string[] lines = File.ReadAllLines(path);
            Assert.Equal(
                ["openvpn", "wireguard", "other-vpn"],
                lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("detection").GetProperty("protocol").GetString()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlertDispatcher([], 0));
        using var empty = new AlertDispatcher([]);
        Assert.True(empty.TryPublish(TestAlerts.Numbered(0)));
        Assert.True(empty.Complete(TimeSpan.Zero));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cancel = new CancellationTokenSource(s_generous);
        while (!condition())
        {
            await Task.Delay(10, cancel.Token);
        }
    }
}
