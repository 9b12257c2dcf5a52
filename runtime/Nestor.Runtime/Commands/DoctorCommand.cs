using System.CommandLine;
using System.Text.Json;
using Nestor.Kernels;

namespace Nestor.Runtime.Commands;

/// <summary>`nestor doctor`: proves libtorch loads here and autograd works; prints facts as JSON.</summary>
public static class DoctorCommand
{
    public static Command Build()
    {
        var command = new Command("doctor", "Check that libtorch loads and a tensor op and a backward pass run; print facts as JSON.");
        command.SetAction(_ =>
        {
            var result = TorchRuntime.SelfTest();
            Console.WriteLine(JsonSerializer.Serialize(result));
            return result.BackwardOk ? 0 : 1;
        });
        return command;
    }
}
