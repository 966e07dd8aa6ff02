using Tessera.Tests.Support;

namespace Tessera.Tests.Reliability;

/// <summary>Tensor scopes across threads (issue 13, D13): tensors created in a scope on one thread and disposed on
/// another, concurrently, leave the scope consistent; a scope disposed on another thread no longer takes new tensors.</summary>
public class ScopeThreadTests
{
    [Fact]
    public async Task D13_tensors_created_in_a_scope_and_disposed_on_another_thread_are_tracked_safely()
    {
        // Thread A creates tensors in its scope while thread B disposes the ones A created before: the scope's set of
        // tensors is changed from both threads at once.
        const int n = 20_000, rounds = 10;
        using var source = Tensor.Empty(TestDevices.Cpu, DType.Float32, 4);
        var batches = new System.Collections.Concurrent.BlockingCollection<Tensor[]>();
        int remaining = -1;
        using var allDisposed = new ManualResetEventSlim();
        var creator = Task.Factory.StartNew(() =>
        {
            using var scope = TensorScope.Begin();
            for (int r = 0; r < rounds; r++)
                batches.Add(Enumerable.Range(0, n).Select(_ => source.Reshape(2, 2)).ToArray());   // views: no pool lock
            batches.CompleteAdding();
            // The scope is read only after the disposer has finished its last batch (not merely taken it).
            allDisposed.Wait(TimeSpan.FromSeconds(60));
            remaining = scope.Count;
        }, TaskCreationOptions.LongRunning);
        var disposer = Task.Factory.StartNew(() =>
        {
            foreach (var batch in batches.GetConsumingEnumerable())
                foreach (var t in batch) t.Dispose();
            allDisposed.Set();
        }, TaskCreationOptions.LongRunning);
        await Task.WhenAll(creator, disposer).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(0, remaining);
    }

    [Fact]
    public void A_scope_disposed_on_another_thread_disposes_its_tensors_and_takes_no_more()
    {
        Tensor? a = null, b = null;
        TensorScope? scope = null;
        var gate = new ManualResetEventSlim();
        var done = new ManualResetEventSlim();
        TensorScope? currentAfter = null;
        var owner = new Thread(() =>
        {
            scope = TensorScope.Begin();
            a = Tensor.Empty(TestDevices.Cpu, DType.Float32, 4);
            gate.Set();
            done.Wait();
            b = Tensor.Empty(TestDevices.Cpu, DType.Float32, 4);   // after the scope is gone: owned by nobody
            currentAfter = TensorScope.Current;
        });
        owner.Start();
        gate.Wait(TestContext.Current.CancellationToken);
        scope!.Dispose();
        Assert.True(a!.IsDisposed);
        done.Set();
        owner.Join();
        Assert.Null(currentAfter);
        Assert.Equal(0, scope.Count);
        Assert.False(b!.IsDisposed);
        b.Dispose();
    }
}
