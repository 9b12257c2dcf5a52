using k8s.Models;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Core.Tests;

public sealed class ConditionsTests
{
    [Fact]
    public void LastTransitionTimeMovesOnlyWhenTheStatusChanges()
    {
        var conditions = new List<V1Condition>();
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.True(Conditions.Set(conditions, "Ready", Conditions.False, "Starting", "pods starting", 1, t0));
        Assert.False(Conditions.Set(conditions, "Ready", Conditions.False, "Starting", "pods starting", 1, t0.AddMinutes(1)));
        Assert.True(Conditions.Set(conditions, "Ready", Conditions.False, "Waiting", "1 of 2 ready", 2, t0.AddMinutes(2)));
        Assert.Equal(t0, conditions[0].LastTransitionTime);
        Assert.Equal(2, conditions[0].ObservedGeneration);
        Assert.True(Conditions.Set(conditions, "Ready", Conditions.True, "Ready", "2 of 2 ready", 2, t0.AddMinutes(3)));
        Assert.Equal(t0.AddMinutes(3), conditions[0].LastTransitionTime);
        Assert.Single(conditions);
        Assert.True(Conditions.IsTrue(conditions, "Ready"));
    }
}
