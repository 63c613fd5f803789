/** A picked folder's files keyed by their path inside the folder (`onnx/model.onnx`). */
export function folderFiles(files: readonly File[]): { name: string; files: Map<string, File> } {
  const map = new Map<string, File>();
  let name = 'model';
  for (const file of files) {
    const parts = (file.webkitRelativePath || file.name).split('/');
    if (parts.length > 1) name = parts[0] ?? name;
    map.set(parts.length > 1 ? parts.slice(1).join('/') : file.name, file);
  }
  return { name, files: map };
}
