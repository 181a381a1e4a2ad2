pub mod merkle;
