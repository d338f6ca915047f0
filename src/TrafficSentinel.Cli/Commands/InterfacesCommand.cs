using TrafficSentinel.Capture;
using TrafficSentinel.Cli.Runtime;

namespace TrafficSentinel.Cli.Commands;

/// <summary><c>sentinel interfaces</c>: the devices libpcap can capture from.</summary>
internal static class InterfacesCommand
{
    public static int Run(CliConsole console)
    {
        IReadOnlyList<CaptureInterface> interfaces;
        try
        {
            interfaces = CaptureInterfaces.List();
        }
        catch (CaptureException e)
        {
            console.Error.WriteLine("error: " + e.Message);
            return ExitCodes.CannotStart;
        }

        if (interfaces.Count == 0)
        {
            console.Error.WriteLine("no capture devices found (capturing usually needs root or CAP_NET_RAW)");
            return ExitCodes.CannotStart;
        }

        foreach (CaptureInterface device in interfaces)
        {
            var flags = new List<string>();
            if (device.IsUp)
            {
                flags.Add("up");
            }

            if (device.IsRunning)
            {
                flags.Add("running");
            }

            if (device.IsLoopback)
            {
                flags.Add("loopback");
            }

            string addresses = device.Addresses.Count == 0 ? "-" : string.Join(", ", device.Addresses);
            console.Out.WriteLine(device.Name.PadRight(16) + " " + ("[" + string.Join(",", flags) + "]").PadRight(22) + " " + addresses
                + (string.IsNullOrEmpty(device.Description) ? string.Empty : "  (" + device.Description + ")"));
        }

        return ExitCodes.Ok;
    }
}
