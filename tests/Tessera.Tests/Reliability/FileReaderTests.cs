using System.Diagnostics;
using Tessera.Cli.Training;
using Tessera.Graph.Training;
using Tessera.IO;
using Tessera.Onnx;

namespace Tessera.Tests.Reliability;

/// <summary>The file readers stat the file, refuse what is not a regular file and read at most its declared size
/// (issue 13, D7): a symbolic link to /dev/zero, a FIFO or a folder is refused at once instead of read until memory
/// runs out.</summary>
public class FileReaderTests
{
    private static readonly Func<string, object>[] Readers =
    {
        p => OnnxReader.ReadModel(p),
        p => OnnxReader.ReadTensor(p),
        p => NpyFile.Read(p),
        p => Checkpoint.Load(p),
        p => IdxFile.Read(p),
    };

    private static string TempDir() => Directory.CreateTempSubdirectory("tessera-files").FullName;

    [Fact]
    public void D7_a_symlink_to_dev_zero_is_refused_by_every_reader_at_once()
    {
        Assert.SkipUnless(File.Exists("/dev/zero"), "needs /dev/zero");
        string dir = TempDir();
        string link = Path.Combine(dir, "zero");
        File.CreateSymbolicLink(link, "/dev/zero");
        foreach (var read in Readers)
        {
            var sw = Stopwatch.StartNew();
            var e = Assert.ThrowsAny<TesseraArgumentException>(() => read(link));
            Assert.Contains("not a regular file", e.Message);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        }
    }

    [Fact]
    public void D7_a_fifo_and_a_folder_are_refused_without_blocking()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "FIFOs are made with mkfifo");
        string dir = TempDir();
        string fifo = Path.Combine(dir, "pipe");
        using (var p = Process.Start("mkfifo", fifo)) p.WaitForExit();
        foreach (var read in Readers)
        {
            Assert.Contains("a FIFO", Assert.ThrowsAny<TesseraArgumentException>(() => read(fifo)).Message);
            Assert.Contains("a directory", Assert.ThrowsAny<TesseraArgumentException>(() => read(dir)).Message);
        }
    }

    [Fact]
    public void D7_a_file_larger_than_the_limit_is_refused_before_it_is_read()
    {
        string dir = TempDir();
        string path = Path.Combine(dir, "big");
        using (var f = File.Create(path)) f.SetLength(1 << 20);
        var e = Assert.Throws<TesseraArgumentException>(() => InputFile.ReadAll(path, "Reader", 1000));
        Assert.Contains("over the limit of 1000", e.Message);
        Assert.Equal(1 << 20, InputFile.ReadAll(path, "Reader", 1 << 20).Length);
    }

    [Fact]
    public void Missing_files_are_still_named()
    {
        foreach (var read in Readers)
            Assert.Contains("does not exist", Assert.ThrowsAny<TesseraArgumentException>(() => read("/nonexistent/tessera/file")).Message);
    }
}
