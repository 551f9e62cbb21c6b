//! TensorFlow SavedModel graphs (`saved_model.pb`): decoded with prost, then every node of the
//! graph and of its function library is judged by its op. Ops that read or write files or call
//! into Python run when the model is loaded or served.

use super::ScanCode;
use crate::finding::Finding;
use prost::Message;

/// The parts of `tensorflow.SavedModel` the scanner reads (unknown fields are skipped).
#[derive(Clone, PartialEq, Message)]
struct SavedModel {
    #[prost(message, repeated, tag = "2")]
    meta_graphs: Vec<MetaGraphDef>,
}

#[derive(Clone, PartialEq, Message)]
struct MetaGraphDef {
    #[prost(message, optional, tag = "2")]
    graph_def: Option<GraphDef>,
}

#[derive(Clone, PartialEq, Message)]
struct GraphDef {
    #[prost(message, repeated, tag = "1")]
    node: Vec<NodeDef>,
    #[prost(message, optional, tag = "2")]
    library: Option<FunctionDefLibrary>,
}

#[derive(Clone, PartialEq, Message)]
struct FunctionDefLibrary {
    #[prost(message, repeated, tag = "1")]
    function: Vec<FunctionDef>,
}

#[derive(Clone, PartialEq, Message)]
struct FunctionDef {
    #[prost(message, optional, tag = "1")]
    signature: Option<OpDef>,
    #[prost(message, repeated, tag = "3")]
    node_def: Vec<NodeDef>,
}

#[derive(Clone, PartialEq, Message)]
struct OpDef {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, Message)]
struct NodeDef {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    op: String,
}

/// Ops that run Python code.
const PYTHON_OPS: &[&str] = &["PyFunc", "PyFuncStateless", "EagerPyFunc", "PyCall"];

/// Ops that read, list or write files outside the checkpoint the loader itself restores
/// (`SaveV2`/`RestoreV2` are in every SavedModel and are not listed).
const FILE_OPS: &[&str] = &[
    "ReadFile",
    "WriteFile",
    "MatchingFiles",
    "WholeFileReader",
    "WholeFileReaderV2",
    "InitializeTableFromTextFile",
    "InitializeTableFromTextFileV2",
    "LMDBReader",
    "FileSystemSetConfiguration",
    "ImmutableConst",
    "LoadAndRemapMatrix",
    "TextLineDataset",
    "TFRecordDataset",
    "FixedLengthRecordDataset",
    "DatasetToTFRecord",
    "ExperimentalDatasetToTFRecord",
    "SaveDataset",
    "SaveDatasetV2",
    "WriteRawProtoSummary",
];

/// Checks a `saved_model.pb` held in memory; `source` names it in messages.
pub(crate) fn check_bytes(data: &[u8], rel: &str, source: &str) -> Vec<Finding> {
    let model = match SavedModel::decode(data) {
        Ok(m) => m,
        Err(e) => {
            return vec![
                Finding::new(
                    &ScanCode::NotScanned,
                    format!("{source} is not a SavedModel protobuf ({e})"),
                )
                .at(rel),
            ];
        }
    };
    let mut hits: Vec<(String, String, String)> = Vec::new();
    for graph in model
        .meta_graphs
        .iter()
        .filter_map(|m| m.graph_def.as_ref())
    {
        for n in &graph.node {
            hits.push(("the graph".into(), n.name.clone(), n.op.clone()));
        }
        for f in graph.library.iter().flat_map(|l| &l.function) {
            let fname = f.signature.as_ref().map_or("?", |s| s.name.as_str());
            for n in &f.node_def {
                hits.push((format!("function `{fname}`"), n.name.clone(), n.op.clone()));
            }
        }
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (place, node, op) in hits {
        let c = if PYTHON_OPS.contains(&op.as_str()) {
            ScanCode::SavedmodelPythonOp
        } else if FILE_OPS.contains(&op.as_str()) {
            ScanCode::SavedmodelFileOp
        } else {
            continue;
        };
        if seen.insert((place.clone(), op.clone())) {
            out.push(
                Finding::new(
                    &c,
                    format!("{source}: node `{node}` in {place} uses op `{op}`"),
                )
                .at(rel),
            );
        }
    }
    out
}
