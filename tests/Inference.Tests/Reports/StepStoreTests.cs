using Tangent.Inference.Reports;
using Tangent.Inference.Tests.Support;

namespace Tangent.Inference.Tests.Reports;

/// <summary>Step records decide reuse: only a finished step with the same inputs and untouched outputs is reused.</summary>
public sealed class StepStoreTests
{
    private const string Inputs = "model=lenet;epochs=10;seed=0";

    private static StepStore FinishedStep(out string output)
    {
        var store = new StepStore(TestData.NewTempDirectory());
        output = store.PathOf("map.safetensors");
        File.WriteAllText(output, "weights");
        store.Begin("map", Inputs);
        store.Finish("map", Inputs, ["map.safetensors"], 12.5);
        return store;
    }

    [Fact]
    public void FinishedStepWithSameInputsIsDoneAndKeepsItsTime()
    {
        var store = FinishedStep(out _);
        var status = store.Check("map", Inputs);
        Assert.Equal(StepStatusKind.Done, status.Kind);
        Assert.Equal(12.5, status.Record!.Seconds);
    }

    [Fact]
    public void NeverStartedStepIsMissing() =>
        Assert.Equal(StepStatusKind.Missing, new StepStore(TestData.NewTempDirectory()).Check("map", Inputs).Kind);

    [Fact]
    public void StartedButUnfinishedStepIsInterrupted()
    {
        var store = new StepStore(TestData.NewTempDirectory());
        store.Begin("fit-viking", Inputs);
        Assert.Equal(StepStatusKind.Interrupted, store.Check("fit-viking", Inputs).Kind);
    }

    [Fact]
    public void ChangedInputsAreStaleAndTheReasonNamesTheChangedSetting()
    {
        var store = FinishedStep(out _);
        var status = store.Check("map", "model=lenet;epochs=40;seed=0");
        Assert.Equal(StepStatusKind.Stale, status.Kind);
        Assert.Contains("epochs: 10 → 40", status.Reason);
        Assert.DoesNotContain("seed", status.Reason);
    }

    [Fact]
    public void InterruptedStepWithOtherInputsIsStaleNotResumed()
    {
        var store = new StepStore(TestData.NewTempDirectory());
        store.Begin("fit-viking", Inputs);
        Assert.Equal(StepStatusKind.Stale, store.Check("fit-viking", "model=lenet;epochs=10;seed=1").Kind);
    }

    [Fact]
    public void ReplacedOutputIsStale()
    {
        var store = FinishedStep(out string output);
        File.WriteAllText(output, "other weights");
        var status = store.Check("map", Inputs);
        Assert.Equal(StepStatusKind.Stale, status.Kind);
        Assert.Contains("replaced", status.Reason);
    }

    [Fact]
    public void RemovedOutputIsStale()
    {
        var store = FinishedStep(out string output);
        File.Delete(output);
        Assert.Contains("removed", store.Check("map", Inputs).Reason);
    }

    [Fact]
    public void HashIsSha256OfTheFileContents()
    {
        string path = Path.Combine(TestData.NewTempDirectory(), "abc.txt");
        File.WriteAllText(path, "abc");
        // FIPS 180-2's test vector for "abc".
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", StepStore.Hash(path));
    }
}
