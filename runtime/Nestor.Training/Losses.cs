using static TorchSharp.torch;

namespace Nestor.Training;

/// <summary>The training losses, averaged over the positions a loss mask selects.</summary>
public static class Losses
{
    /// <summary>Cross-entropy of logits [B, L, V] against targets [B, L], over the masked positions.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Tensor mask)
    {
        var logProbs = nn.functional.log_softmax(logits.to_type(ScalarType.Float32), -1);
        var picked = logProbs.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
        return -(picked * mask).sum() / mask.sum().clamp_min(1);
    }

    /// <summary>
    /// Forward KL(teacher ‖ student) of the softened distributions, over the masked positions, times T² (so gradients
    /// keep their scale across temperatures).
    /// </summary>
    public static Tensor ForwardKl(Tensor studentLogits, Tensor teacherLogits, Tensor mask, double temperature = 1.0)
    {
        var s = nn.functional.log_softmax(studentLogits.to_type(ScalarType.Float32) / temperature, -1);
        var t = nn.functional.log_softmax(teacherLogits.to_type(ScalarType.Float32) / temperature, -1);
        var perPosition = (t.exp() * (t - s)).sum(-1);
        return (perPosition * mask).sum() / mask.sum().clamp_min(1) * (temperature * temperature);
    }
}
