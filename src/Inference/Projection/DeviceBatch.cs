using Tangent.Engine.Execution;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;

namespace Tangent.Inference.Projection;

/// <summary>
/// The device buffers <c>x</c> and <c>y</c> of one batch of a fixed size, bound by every plan that reads the batch
/// (the Jacobian of the projections, the ELBO's loss, the adjoint), so loading a batch once serves them all.
/// </summary>
public sealed class DeviceBatch : IDisposable
{
    private readonly DeviceBuffer<float> _x;
    private readonly DeviceBuffer<int>? _labels;
    private readonly DeviceBuffer<float>? _targets;

    /// <summary>Buffers for <paramref name="size"/> examples shaped like <paramref name="like"/>'s.</summary>
    public DeviceBatch(Backend backend, DataSet like, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Size = size;
        _x = backend.Allocate<float>(checked(size * like.SampleSize));
        if (like.IsClassification) _labels = backend.Allocate<int>(size);
        else _targets = backend.Allocate<float>(checked(size * like.TargetSize));
    }

    /// <summary>The inputs [B, sample].</summary>
    public BufferView<float> X => _x.View;

    /// <summary>The labels [B] of a classification batch, else null.</summary>
    public BufferView<int>? Labels => _labels?.View;

    /// <summary>The targets [B, targets] of a regression batch, else null.</summary>
    public BufferView<float>? Targets => _targets?.View;

    /// <summary>Examples per batch B.</summary>
    public int Size { get; }

    /// <summary>Uploads the loader's current batch, which must hold exactly <see cref="Size"/> examples.</summary>
    public void Load(BatchLoader loader)
    {
        if (loader.CurrentCount != Size)
            throw new ArgumentException($"the batch holds {loader.CurrentCount} examples; {Size} are needed (use a loader that drops the last partial batch).");
        loader.Upload(_x, _labels);
        if (_targets != null) loader.UploadTargets(_targets);
    }

    /// <summary>Binds <c>x</c> and <c>y</c> on <paramref name="plan"/>.</summary>
    public void Bind(Plan<float> plan)
    {
        plan.Bind("x", _x.View);
        if (_labels != null) plan.BindIndices("y", _labels.View);
        else plan.Bind("y", _targets!.View);
    }

    /// <summary>Binds <c>x</c> and <c>y</c> on every plan of <paramref name="operators"/>.</summary>
    public void Bind(TapePlanSet<float> operators)
    {
        operators.Bind("x", _x.View);
        if (_labels != null) operators.BindIndices("y", _labels.View);
        else operators.Bind("y", _targets!.View);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _x.Dispose();
        _labels?.Dispose();
        _targets?.Dispose();
    }
}
