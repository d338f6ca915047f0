using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Classifier.Tests;

public sealed class FlowFeaturesTests
{
    [Fact]
    public void FeatureState_Is128Bytes()
    {
        Assert.Equal(128, System.Runtime.CompilerServices.Unsafe.SizeOf<FlowFeatureState>());
        Assert.Equal(FeatureSchema.Length, FeatureSchema.Names.Count);
    }

    [Fact]
    public void Extract_HandBuiltFlow_GivesExactValues()
    {
        // client 10.0.0.1:1000 -> server 10.0.0.2:2000, UDP; (time µs, direction, payload, fill byte)
        var probe = new ProbeClassifier(packetThreshold: 1000);
        var engine = Packets.Engine(probe);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, 100, 0xFF), 1_000_000, 128, 1);
        engine.ProcessPacket(Packets.Udp("10.0.0.2", 2000, "10.0.0.1", 1000, 200, 0x00), 1_001_000, 228, 2);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, 100, 0x0F), 1_003_000, 128, 3);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, 1296, 0x00), 1_006_000, 1324, 4);
        Assert.Empty(probe.Calls);
        engine.Finish();

        float[] f = Assert.Single(probe.Calls).Features;
        Assert.Equal([100, -200, 100, 1296, 0, 0, 0, 0], f[..8]);
        Assert.Equal(3, f[8]);
        Assert.Equal(1, f[9]);
        Assert.Equal(0.75f, f[10]);
        Assert.Equal(1496f / 1696f, f[11], 5);
        double meanS = 1496 / 3.0;
        double stdS = Math.Sqrt(((100.0 * 100 + (100.0 * 100) + (1296.0 * 1296)) / 3) - (meanS * meanS));
        Assert.Equal(meanS, f[12], 3);
        Assert.Equal(200, f[13]);
        Assert.Equal(stdS, f[14], 1);
        Assert.Equal(0, f[15]);
        Assert.Equal(100, f[16]);
        Assert.Equal(200, f[17]);
        Assert.Equal(1296, f[18]);
        Assert.Equal(200, f[19]);
        Assert.Equal(3f, f[20], 5);   // to-server packets at 1.000, 1.003, 1.006 s: gaps of 3 ms
        Assert.Equal(0, f[21]);
        Assert.Equal(0f, f[22], 3);
        Assert.Equal(0, f[23]);
        Assert.Equal(0.006f, f[24], 6);
        Assert.Equal([0, 0, 0.75f, 0, 0, 0.25f], f[25..31]);
        Assert.Equal(0.25f, f[31]);
        Assert.Equal(1296, f[32]);
        Assert.Equal(2f / 3f, f[33], 5);
        Assert.Equal((512 + 0 + 256 + 0) / (8f * 256), f[34], 6); // 64-byte prefixes of the first 4 payloads
        Assert.Equal(0.25f, f[35]);                                // 1296 = 81 x 16
        Assert.Equal(0, f[36]);                                    // UDP
    }

    [Fact]
    public void Extract_IntoAReusedVector_WritesEveryFeature()
    {
        // The live classifier reuses one vector: a one-way flow's absent to-client statistics must be 0,
        // as in a fresh vector (training), not what the previous flow left there.
        var probe = new ProbeClassifier(packetThreshold: 1000);
        var engine = Packets.Engine(probe);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1900, "10.0.0.2", 5000, 311, 0x41), 1_000_000, 339, 1);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1900, "10.0.0.2", 5000, 311, 0x41), 2_000_000, 339, 2);
        engine.Finish();
        FlowRecord oneWay = Assert.Single(probe.Records);

        float[] fresh = new float[FeatureSchema.Length];
        FlowFeatures.Extract(in oneWay, fresh);
        float[] reused = [.. Enumerable.Repeat(12345f, FeatureSchema.Length)];
        FlowFeatures.Extract(in oneWay, reused);

        Assert.Equal(fresh, reused);
        Assert.Equal(0, reused[9]);                                                   // no packet to the client
        Assert.Equal([0, 0, 0, 0, 0, 0], new[] { reused[13], reused[15], reused[17], reused[19], reused[21], reused[23] });
    }

    [Fact]
    public void Extract_ShortSpan_Throws() =>
        Assert.Throws<ArgumentException>(() => FlowFeatures.Extract(default(FlowRecord), new float[3]));

    [Fact]
    public void EngineFeatureUpdates_AllocateNothing()
    {
        var probe = new ProbeClassifier(packetThreshold: int.MaxValue) { Record = false };
        var engine = Packets.Engine(probe);
        byte[][] frames =
        [
            Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, 100, 0xAB),
            Packets.Udp("10.0.0.2", 2000, "10.0.0.1", 1000, 1200, 0x5A),
            Packets.Udp("10.0.0.3", 1001, "10.0.0.2", 2000, 60, 0x11),
        ];
        long t = 1_000_000;
        for (int i = 0; i < 1000; i++)
        {
            engine.ProcessPacket(frames[i % 3], t += 10, frames[i % 3].Length, i);
        }

        long allocated = Allocations.Fewest(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                engine.ProcessPacket(frames[i % 3], t += 10, frames[i % 3].Length, i);
            }
        });
        Assert.Equal(0, allocated);
        Assert.Equal(0, engine.FlowsClassified);
    }
}
